using System.Diagnostics;
using System.Text.Json;
using Rex.Client;
using Rex.Protos.Api;
using Rex.Tests;
using Xunit.Abstractions;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// A real cluster (gateway + 3 expert silos, every expert replicated twice) loses 2 of its 3 expert silos to SIGKILL:
/// their replicas reactivate on the one silo left, next to their siblings, and `rex cluster status` reports every
/// expert under-replicated. Two replacement silos (the killed ones' command lines and environment, as a supervisor
/// would start them) join, and within 30 s of the first one's join each expert's two replicas stand on two distinct
/// silos again, without load to prompt the rebalancer; the greedy tokens stay the local engine's. Prints the time to
/// full replication.
/// </summary>
[Collection(Alone.Name)]
public sealed class ReplicaRepairTests(ITestOutputHelper output)
{
    const int Replicas = 2;
    const int NumExperts = 32; // dbrx-tiny: 2 MoE layers of 16 experts
    static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ReplacementSilosGetTheMissingReplicasWithinSeconds()
    {
        using var state = new TemporaryDirectory();
        using var home = new TemporaryDirectory();
        var environment = new Dictionary<string, string> { ["REX_HOME"] = home.Path };
        var replacements = new List<ChildProcess>();
        try
        {
            var up = await ChildProcess.Run("rex.dll",
            [
                "cluster", "up", "--silos", "3", "--expert-replicas", Replicas.ToString(), "--model", TestPaths.DbrxTiny,
                "--port", "0", "--http-port", "0", "--state", state.Path,
            ], environment);
            Assert.True(up.ExitCode == 0, up.Error);
            var address = up.Output.Trim().Split('\n')[^1];
            using var client = new RexClient(address);
            Assert.Empty((await client.GetClusterStatusAsync()).UnderReplicated);

            var launches = new List<ProcessLaunch>();
            foreach (var role in new[] { "silo-0", "silo-1" })
            {
                var pid = Pid(state.Path, role);
                launches.Add(ProcessLaunch.Of(pid));
                using var silo = Process.GetProcessById(pid);
                silo.Kill();
                await silo.WaitForExitAsync();
            }
            await EveryReplicaActiveOnOneSilo(client);
            var crowded = await Status(address, environment);
            Assert.Contains($"under-replicated: {NumExperts} experts", crowded);

            var started = Stopwatch.StartNew();
            replacements.AddRange(launches.Select(l => ChildProcess.Start(l.Program, l.Args, l.Environment)));
            var recovery = await FullReplication(client, started);
            var toFull = recovery.Repaired - recovery.FirstJoined;
            output.WriteLine($"replicas {Replicas}, 2 of 3 expert silos SIGKILLed, 2 replacements started: the first joined " +
                $"{recovery.FirstJoined.TotalSeconds:F1} s after their start ({recovery.SeenUnderReplicated} experts under-replicated at most after it); every " +
                $"expert on {Replicas} distinct silos {toFull.TotalSeconds:F1} s after that join; both joined, replication full, " +
                $"{recovery.Settled.TotalSeconds:F1} s after their start");
            Assert.True(toFull < Bound, $"full replication took {toFull.TotalSeconds:F1} s after the first replacement joined");

            Assert.Contains("under-replicated: 0 experts", await Status(address, environment));
            foreach (var (prompt, tokens) in FixtureGreedy.All) Assert.Equal(tokens, await GatewayClient.Greedy(client, prompt));
        }
        catch
        {
            foreach (var log in Directory.GetFiles(state.Path, "*.log"))
                output.WriteLine($"--- {Path.GetFileName(log)}\n{string.Join('\n', File.ReadLines(log).TakeLast(60))}");
            foreach (var replacement in replacements) output.WriteLine($"--- replacement\n{replacement.Output}");
            throw;
        }
        finally
        {
            foreach (var replacement in replacements) await replacement.DisposeAsync();
            await ChildProcess.Run("rex.dll", ["cluster", "down", "--state", state.Path], environment);
        }
    }

    // The killed silos' replicas reactivated on the silo left: all of them there, every expert's replicas together.
    static async Task EveryReplicaActiveOnOneSilo(RexClient client)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            var expertSilos = ExpertSilos(await client.GetClusterStatusAsync());
            if (expertSilos.Length == 1 && expertSilos[0].Experts.Count == Replicas * NumExperts) return;
            await Task.Delay(250);
        }
        throw new TimeoutException("the killed silos' replicas were not all active on the silo left within 90 s");
    }

    // From `clock`'s start: when the first replacement joined (listed as an expert silo), when every expert's replicas
    // stood on distinct silos after that, and when both had joined with replication full; and the most experts the
    // status called under-replicated after the first join.
    static async Task<Recovery> FullReplication(RexClient client, Stopwatch clock)
    {
        TimeSpan? joined = null, repaired = null;
        var seen = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(150))
        {
            var status = await client.GetClusterStatusAsync();
            var expertSilos = ExpertSilos(status);
            if (expertSilos.Length > 1)
            {
                joined ??= clock.Elapsed;
                seen = Math.Max(seen, status.UnderReplicated.Count);
                var placed = expertSilos.SelectMany(s => s.Experts.Select(e => (e.Layer, e.Expert, Silo: s.Address))).ToArray();
                var isFull = placed.Length == Replicas * NumExperts
                    && placed.GroupBy(p => (p.Layer, p.Expert)).All(e => e.Select(p => p.Silo).Distinct().Count() == Replicas);
                if (isFull) repaired ??= clock.Elapsed;
                // All replicas active, some sharing a silo: the status must say so.
                if (placed.Length == Replicas * NumExperts && !isFull) Assert.NotEmpty(status.UnderReplicated);
                if (isFull && expertSilos.Length == 3)
                {
                    Assert.Empty(status.UnderReplicated);
                    return new Recovery(joined.Value, repaired!.Value, clock.Elapsed, seen);
                }
            }
            await Task.Delay(100);
        }
        throw new TimeoutException(joined is null
            ? "no replacement silo joined within 150 s"
            : $"replication was not full with both replacements joined {(clock.Elapsed - joined.Value).TotalSeconds:F0} s after the first joined");
    }

    sealed record Recovery(TimeSpan FirstJoined, TimeSpan Repaired, TimeSpan Settled, int SeenUnderReplicated);

    static Protos.Api.SiloStatus[] ExpertSilos(ClusterStatusResponse status) => [.. status.Silos.Where(s => s.Roles.Contains("expert"))];

    // `rex cluster status`'s table, which names the under-replicated experts.
    async Task<string> Status(string address, Dictionary<string, string> environment)
    {
        var status = await ChildProcess.Run("rex.dll", ["cluster", "status", "--server", address], environment);
        Assert.True(status.ExitCode == 0, status.Error);
        output.WriteLine(status.Output.Split('\n').FirstOrDefault(l => l.StartsWith("under-replicated", StringComparison.Ordinal)) ?? "no under-replicated line");
        return status.Output;
    }

    static int Pid(string state, string role) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(state, "cluster.json"))).RootElement.GetProperty("processes")
            .EnumerateArray().First(p => p.GetProperty("role").GetString() == role).GetProperty("pid").GetInt32();
}
