using System.Diagnostics;
using System.Text.Json;
using Rex.Client;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// A gateway of a `rex cluster up` cluster SIGKILLed and started again, as an operator or a supervisor would: its
/// membership store outlives it, so the expert silos keep running (with the gateway as the primary silo they used to
/// stop: "membership table version decreased") and the new gateway serves from the same silos, greedy tokens equal
/// to the fixture's.
/// </summary>
public sealed class GatewayRestartTests
{
    [Fact]
    public async Task AGatewayKilledAndStartedAgainServesFromTheSameSilos()
    {
        using var state = new TemporaryDirectory();
        using var home = new TemporaryDirectory();
        var environment = new Dictionary<string, string> { ["REX_HOME"] = home.Path };
        var up = await ChildProcess.Run("rex.dll",
            ["cluster", "up", "--silos", "2", "--model", TestPaths.DbrxTiny, "--port", "0", "--http-port", "0", "--state", state.Path],
            environment);
        var processes = JsonDocument.Parse(File.ReadAllText(Path.Combine(state.Path, "cluster.json"))).RootElement.GetProperty("processes")
            .EnumerateArray().ToDictionary(p => p.GetProperty("role").GetString()!, p => p.GetProperty("pid").GetInt32());
        ChildProcess? restarted = null;
        try
        {
            Assert.True(up.ExitCode == 0, up.Error);
            var (prompt, tokens) = FixtureGreedy.All[0];
            using (var client = new RexClient(up.Output.Trim().Split('\n')[^1]))
                Assert.Equal(tokens, await GatewayClient.Greedy(client, prompt));

            // The same program, arguments and environment (the cluster's data-plane secret and store credentials).
            var gateway = processes["gateway"];
            var launch = ProcessLaunch.Of(gateway);
            Process.GetProcessById(gateway).Kill();
            await Process.GetProcessById(gateway).WaitForExitAsync();

            restarted = ChildProcess.Start(launch.Program, launch.Args, launch.Environment);
            var address = restarted.WaitForLine("Rex gateway serving", TimeSpan.FromSeconds(90)).Split(" on ")[^1].Trim();
            using var again = new RexClient(address);
            var status = await WaitForExperts(again, expertSilos: 2, TimeSpan.FromSeconds(90));
            Assert.All(processes.Where(p => p.Key.StartsWith("silo-", StringComparison.Ordinal)),
                silo => Assert.True(File.Exists($"/proc/{silo.Value}/cmdline"), $"{silo.Key} (pid {silo.Value}) still runs"));
            Assert.Equal(32, status.Silos.Sum(s => s.Experts.Count));
            foreach (var (p, t) in FixtureGreedy.All) Assert.Equal(t, await GatewayClient.Greedy(again, p));
        }
        finally
        {
            if (restarted is not null) await restarted.DisposeAsync();
            await ChildProcess.Run("rex.dll", ["cluster", "down", "--state", state.Path], environment);
        }
    }

    static async Task<Protos.Api.ClusterStatusResponse> WaitForExperts(RexClient client, int expertSilos, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var last = "no answer";
        while (clock.Elapsed < timeout)
        {
            try
            {
                var status = await client.GetClusterStatusAsync();
                var active = status.Silos.Sum(s => s.Experts.Count);
                if (active == status.ExpectedExperts && status.Silos.Count(s => s.Experts.Count > 0) == expertSilos) return status;
                last = $"{active} of {status.ExpectedExperts} experts on {status.Silos.Count(s => s.Experts.Count > 0)} silos";
            }
            catch (Grpc.Core.RpcException e)
            {
                last = e.Status.Detail;
            }
            await Task.Delay(500);
        }
        throw new TimeoutException($"the restarted gateway did not find its experts within {timeout.TotalSeconds} s: {last}");
    }
}
