using System.CommandLine;
using Rex.Cli.Cluster;

namespace Rex.Cli.Commands;

/// <summary>
/// `rex cluster down [--state DIR]`: stops what `rex cluster up` started, gateway first, gracefully; the membership
/// store last, so every silo can still record its departure.
/// </summary>
internal static class ClusterDownCommand
{
    public static Command Create()
    {
        var state = new Option<string?>("--state") { Description = "the directory given to `rex cluster up` (default ~/.cache/rex/cluster)" };
        var command = new Command("down", "Stop the cluster started by `rex cluster up`") { state };
        CliAction.Set(command, (parse, output) =>
        {
            var directory = Path.GetFullPath(parse.GetValue(state) ?? ClusterState.DefaultDirectory);
            var cluster = ClusterState.Require(directory);
            foreach (var process in ClusterState.StopOrder(cluster.Processes))
                ChildProcesses.Stop(process.Pid, ClusterUpCommand.Program(process), TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
            ClusterState.Delete(directory);
            output.WriteLine($"stopped {cluster.Processes.Count} processes ({string.Join(", ", cluster.Gateways)})");
        });
        return command;
    }
}
