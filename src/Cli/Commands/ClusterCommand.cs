using System.CommandLine;

namespace Rex.Cli.Commands;

/// <summary>`rex cluster up|down|drain|status`.</summary>
internal static class ClusterCommand
{
    public static Command Create() => new("cluster", "Start, stop and inspect a Rex cluster")
    {
        ClusterUpCommand.Create(),
        ClusterDownCommand.Create(),
        ClusterDrainCommand.Create(),
        ClusterStatusCommand.Create(),
    };
}
