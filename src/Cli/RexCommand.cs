using System.CommandLine;
using Rex.Cli.Commands;

namespace Rex.Cli;

/// <summary>The `rex` command line: local model commands now; cluster and server commands join it later.</summary>
public static class RexCommand
{
    public static RootCommand Create() => new("rex: serve and run DBRX-style Mixture-of-Experts models")
    {
        LogitsCommand.Create(),
        GenerateCommand.Create(),
        BenchCommand.Create(),
        ModelCommand.Create(),
        ClusterCommand.Create(),
    };
}
