using System.CommandLine;
using Rex.Cli.Commands;

namespace Rex.Cli;

/// <summary>The `rex` command line: the server, local model commands, commands against a server, and cluster commands.</summary>
public static class RexCommand
{
    public static RootCommand Create() => new("rex: serve and run DBRX-style Mixture-of-Experts models")
    {
        ServeCommand.Create(),
        LogitsCommand.Create(),
        GenerateCommand.Create(),
        ChatCommand.Create(),
        BenchCommand.Create(),
        ModelCommand.Create(),
        ClusterCommand.Create(),
    };
}
