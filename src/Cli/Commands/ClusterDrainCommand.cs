using System.CommandLine;
using System.Diagnostics;
using Rex.Cli.Cluster;
using Rex.Silo.Drain;

namespace Rex.Cli.Commands;

/// <summary>
/// `rex cluster drain SILO [--state DIR]`: what Kubernetes does to a pod on a rolling update, on demand. The expert
/// silo (a role `rex cluster up` named, e.g. silo-0) gets SIGTERM, moves its expert replicas to the other silos while
/// the cluster keeps serving, and exits; the command waits for that and prints how the drain went.
/// </summary>
internal static class ClusterDrainCommand
{
    public static Command Create()
    {
        var silo = new Argument<string>("silo") { Description = "the expert silo to drain, as `rex cluster up` named it (silo-0, silo-1, ...)" };
        var state = new Option<string?>("--state") { Description = "the directory given to `rex cluster up` (default ~/.cache/rex/cluster)" };
        var timeout = new Option<int>("--timeout") { Description = "seconds to wait before killing it", DefaultValueFactory = _ => 180 };
        var command = new Command("drain", "Move an expert silo's experts to the other silos, then stop it") { silo, state, timeout };
        CliAction.Set(command, (parse, output) =>
        {
            var directory = Path.GetFullPath(parse.GetValue(state) ?? ClusterState.DefaultDirectory);
            var cluster = ClusterState.Require(directory);
            var name = parse.GetValue(silo)!;
            var silos = cluster.Processes.Where(p => p.IsExpertSilo).ToArray();
            var process = silos.FirstOrDefault(p => p.Role == name)
                ?? throw new ArgumentException($"silo '{name}' is not an expert silo of this cluster (it has {string.Join(", ", silos.Select(p => p.Role))})", "silo");
            var program = ClusterUpCommand.Program(process);
            if (!ChildProcesses.IsRunning(process.Pid, program)) throw new InvalidOperationException($"{name} (pid {process.Pid}) is not running");
            var clock = Stopwatch.StartNew();
            ChildProcesses.Stop(process.Pid, program, TimeSpan.FromSeconds(parse.GetValue(timeout)), drain: true).GetAwaiter().GetResult();
            new ClusterState(cluster.Gateways, [.. cluster.Processes.Where(p => p != process)]).Write(directory);
            var outcome = File.ReadLines(process.Log).Select(l => l.Trim())
                .LastOrDefault(l => SiloDrain.Outcomes.Any(o => l.StartsWith(o, StringComparison.Ordinal)));
            output.WriteLine($"{name} stopped after {clock.Elapsed.TotalSeconds:F1} s: {outcome ?? "it hosted no experts"}");
        });
        return command;
    }
}
