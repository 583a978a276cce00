using System.Text.Json;
using Rex.Client;
using Rex.Model.Checkpoint;
using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.Models;
using Rex.Model.Sampling;
using Rex.Model.TinyModel;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// `rex cluster up --silos 2`: a real cluster of processes (its membership store, one gateway, two expert silos) on
/// loopback, checked through the gRPC API, then `rex cluster down`; with an external Redis, and with the gateway as
/// the primary silo (`--membership localhost`).
/// </summary>
public sealed class ClusterUpTests
{
    [Fact]
    public async Task ThreeProcessClusterMatchesTheLocalEngineWithExpertsOnBothSilos()
    {
        using var state = new TemporaryDirectory();
        using var home = new TemporaryDirectory();
        var environment = new Dictionary<string, string> { ["REX_HOME"] = home.Path };
        var up = await ChildProcess.Run("rex.dll",
            ["cluster", "up", "--silos", "2", "--model", TestPaths.DbrxTiny, "--port", "0", "--http-port", "0", "--state", state.Path,
                // Two micro-batches (off by default): their overlapped dispatches must give the same tokens.
                "--gateway-arg", "Rex:NumMicroBatches=2"], environment);
        var processes = Pids(state.Path);
        try
        {
            Assert.True(up.ExitCode == 0, up.Error);
            var address = up.Output.Trim().Split('\n')[^1];
            Assert.StartsWith("http://127.0.0.1:", address);
            Assert.Equal(["gateway", "membership", "silo-0", "silo-1"], Roles(state.Path).Order());
            AssertEverySocketOnLoopback(processes);

            using (var client = new RexClient(address))
            {
                foreach (var (prompt, tokens) in FixtureGreedy.All) Assert.Equal(tokens, await GatewayClient.Greedy(client, prompt));
                var concurrent = await Task.WhenAll(FixtureGreedy.All.Select(f => GatewayClient.Greedy(client, f.Prompt)));
                Assert.Equal(FixtureGreedy.All.Select(f => f.Tokens), concurrent);
            }

            var status = await ChildProcess.Run("rex.dll", ["cluster", "status", "--server", address, "--json"], environment);
            Assert.True(status.ExitCode == 0, status.Error);
            var silos = JsonDocument.Parse(status.Output).RootElement.GetProperty("silos").EnumerateArray().ToArray();
            Assert.Equal(3, silos.Length);
            var experts = silos.ToDictionary(
                s => string.Join(",", s.GetProperty("roles").EnumerateArray().Select(r => r.GetString())) + "@" + s.GetProperty("address").GetString(),
                s => s.GetProperty("experts").GetArrayLength());
            Assert.Equal(0, experts.Single(e => e.Key.StartsWith("gateway@")).Value);
            var expertSilos = experts.Where(e => e.Key.StartsWith("expert@")).Select(e => e.Value).ToArray();
            Assert.Equal(2, expertSilos.Length);
            Assert.All(expertSilos, count => Assert.Equal(16, count)); // 32 replicas spread evenly by count
        }
        finally
        {
            var down = await ChildProcess.Run("rex.dll", ["cluster", "down", "--state", state.Path], environment);
            Assert.True(down.ExitCode == 0, down.Error);
        }
        Assert.All(processes, pid => Assert.False(File.Exists($"/proc/{pid}/cmdline") && File.ReadAllText($"/proc/{pid}/cmdline").Contains("Rex."),
            $"process {pid} still runs"));
    }

    static IEnumerable<string> Roles(string state) => JsonDocument.Parse(File.ReadAllText(Path.Combine(state, "cluster.json"))).RootElement
        .GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("role").GetString()!);

    static int[] Pids(string state) => JsonDocument.Parse(File.ReadAllText(Path.Combine(state, "cluster.json"))).RootElement
        .GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32()).ToArray();

    // A local cluster is reachable from this machine only: its API, Orleans and data-plane ports all on loopback.
    static void AssertEverySocketOnLoopback(int[] pids)
    {
        foreach (var pid in pids)
        {
            var sockets = ListeningSockets.Of(pid);
            Assert.NotEmpty(sockets);
            Assert.All(sockets, socket => Assert.True(System.Net.IPAddress.IsLoopback(socket.Address), $"process {pid} listens on {socket}"));
        }
    }

    [Fact]
    public async Task WithRedisMembershipTheClusterFormsAndMatches()
    {
        using var state = new TemporaryDirectory();
        using var home = new TemporaryDirectory();
        var environment = new Dictionary<string, string> { ["REX_HOME"] = home.Path };
        using var redis = RedisServer.Start();
        try
        {
            var up = await ChildProcess.Run("rex.dll",
            [
                "cluster", "up", "--silos", "2", "--model", TestPaths.DbrxTiny, "--port", "0", "--http-port", "0", "--state", state.Path,
                "--membership", "redis", "--redis", redis.ConnectionString,
            ], environment);
            Assert.True(up.ExitCode == 0, up.Error);
            AssertEverySocketOnLoopback(Pids(state.Path));
            using var client = new RexClient(up.Output.Trim().Split('\n')[^1]);
            var (prompt, tokens) = FixtureGreedy.All[2];
            Assert.Equal(tokens, await GatewayClient.Greedy(client, prompt));
            var status = await client.GetClusterStatusAsync();
            Assert.Equal(3, status.Silos.Count);
            Assert.Equal(2, status.Silos.Count(s => s.Experts.Count > 0));
        }
        finally
        {
            await ChildProcess.Run("rex.dll", ["cluster", "down", "--state", state.Path], environment);
        }
    }

    [Fact]
    public async Task WithDummyWeightsEveryProcessDrawsTheSameModelAsTheLocalEngine()
    {
        using var state = new TemporaryDirectory();
        using var home = new TemporaryDirectory();
        using var model = new TemporaryDirectory();
        File.WriteAllText(model.File("config.json"), ModelFamilies.TinyConfig(BuiltInModel.Family).ToJsonString());
        var environment = new Dictionary<string, string> { ["REX_HOME"] = home.Path };
        try
        {
            var up = await ChildProcess.Run("rex.dll",
                ["cluster", "up", "--silos", "1", "--model", model.Path, "--load-format", "dummy", "--port", "0", "--http-port", "0", "--state", state.Path,
                    "--membership", "localhost"],
                environment);
            Assert.True(up.ExitCode == 0, up.Error);
            using var engine = ReferenceEngine.Load(model.Path, ComputePlacement.Cpu, LoadFormat.Dummy);
            using var client = new RexClient(up.Output.Trim().Split('\n')[^1]);
            foreach (var (prompt, _) in FixtureGreedy.All.Take(2))
            {
                var local = engine.Generate([new GenerationRequest(prompt, new SamplingParams { MaxTokens = 16, IgnoreEos = true })])[0].TokenIds;
                Assert.Equal(local, await GatewayClient.Greedy(client, prompt));
            }
        }
        finally
        {
            await ChildProcess.Run("rex.dll", ["cluster", "down", "--state", state.Path], environment);
        }
    }
}
