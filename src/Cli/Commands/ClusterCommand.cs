using System.CommandLine;
using Rex.Cli.Cluster;

namespace Rex.Cli.Commands;

/// <summary>`rex cluster up|down|drain|status` (and the hidden `membership-store`, a process `up` starts).</summary>
internal static class ClusterCommand
{
    public static Command Create() => new("cluster", "Start, stop and inspect a Rex cluster")
    {
        ClusterUpCommand.Create(),
        ClusterDownCommand.Create(),
        ClusterDrainCommand.Create(),
        ClusterStatusCommand.Create(),
        MembershipStoreCommand(),
    };

    static Command MembershipStoreCommand()
    {
        var command = new Command("membership-store", "Serve a local cluster's membership table (started by `rex cluster up`)") { Hidden = true };
        CliAction.Set(command, (_, _) => MembershipStore.Serve());
        return command;
    }
}
