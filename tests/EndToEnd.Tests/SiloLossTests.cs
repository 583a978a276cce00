using System.Diagnostics;
using System.Text.Json;
using Grpc.Core;
using Rex.Client;
using Rex.Protos.Api;
using Rex.Tests;
using Xunit.Abstractions;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// A real 4-process cluster (gateway + 3 expert silos) loses an expert silo to SIGKILL while 16 greedy streams run:
/// every request ends, with the local engine's tokens or UNAVAILABLE; new requests succeed again; every expert
/// replica is active again, on the silos that are left. Prints detection and recovery times.
/// </summary>
[Collection(Alone.Name)]
public sealed class SiloLossTests(ITestOutputHelper output)
{
    const int MaxTokens = 40;

    [Theory]
    [InlineData(2)] // every expert replicated once: rows go to the other replica at once
    [InlineData(1)] // no replicas: steps wait for Orleans to reactivate the lost experts elsewhere
    public async Task KillingAnExpertSiloMidStreamLosesNoRequestSilently(int replicas)
    {
        var prompts = ServingOracle.Prompts(16, seed: 21);
        var alone = ServingOracle.AloneGreedy(prompts, MaxTokens);
        using var state = new TemporaryDirectory();
        using var home = new TemporaryDirectory();
        var environment = new Dictionary<string, string> { ["REX_HOME"] = home.Path };
        var up = await ChildProcess.Run("rex.dll",
        [
            "cluster", "up", "--silos", "3", "--expert-replicas", replicas.ToString(), "--model", TestPaths.DbrxTiny,
            "--port", "0", "--http-port", "0", "--state", state.Path,
        ], environment);
        try
        {
            Assert.True(up.ExitCode == 0, up.Error);
            using var client = new RexClient(new RexClientOptions { Address = up.Output.Trim().Split('\n')[^1], MaxRetries = 0 });
            var victim = JsonDocument.Parse(File.ReadAllText(Path.Combine(state.Path, "cluster.json"))).RootElement.GetProperty("processes")
                .EnumerateArray().First(p => p.GetProperty("role").GetString()!.StartsWith("silo-", StringComparison.Ordinal)).GetProperty("pid").GetInt32();

            var received = 0;
            var streams = prompts.Select(p => Outcome(client, p, () => Interlocked.Increment(ref received))).ToArray();
            while (Volatile.Read(ref received) < 4 * prompts.Length) await Task.Delay(10);
            Process.GetProcessById(victim).Kill();
            var killed = Stopwatch.StartNew();

            var outcomes = await Task.WhenAll(streams);
            var ended = killed.Elapsed;
            for (var i = 0; i < prompts.Length; i++)
                Assert.True(outcomes[i].Tokens is null || outcomes[i].Tokens!.SequenceEqual(alone[i]), $"request {i} returned other tokens than the local engine");
            var unavailable = outcomes.Count(o => o.Tokens is null);

            var served = await FirstSuccess(client, prompts[0], alone[0], killed);
            var recovered = await AllExpertsActive(client, replicas, killed);
            output.WriteLine($"replicas {replicas}: all 16 streams ended {ended.TotalSeconds:F1} s after the kill, {16 - unavailable} with " +
                $"the local engine's tokens, {unavailable} UNAVAILABLE; a new request succeeded {served.TotalSeconds:F1} s after the kill; " +
                $"every expert replica active again {recovered.TotalSeconds:F1} s after the kill");
            Assert.True(served < TimeSpan.FromSeconds(30), $"no new request succeeded within 30 s of the kill ({served})");
            if (replicas == 2) Assert.Equal(0, unavailable); // the other replica takes the rows at once
        }
        catch
        {
            // The processes' logs say why a recovery failed; they go with the temporary directory.
            foreach (var log in Directory.GetFiles(state.Path, "*.log"))
                output.WriteLine($"--- {Path.GetFileName(log)}\n{string.Join('\n', File.ReadLines(log).TakeLast(80))}");
            throw;
        }
        finally
        {
            await ChildProcess.Run("rex.dll", ["cluster", "down", "--state", state.Path], environment);
        }
    }

    // A greedy stream's tokens, or null when it ended with UNAVAILABLE; anything else fails the test. Bounded: none may hang.
    static async Task<(int[]? Tokens, StatusCode Status)> Outcome(RexClient client, int[] prompt, Action onToken)
    {
        var tokens = new List<int>();
        try
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await foreach (var delta in client.GenerateStreamAsync(ServingTests.Greedy(prompt, MaxTokens), bound.Token))
            {
                tokens.AddRange(delta.TokenIds);
                foreach (var _ in delta.TokenIds) onToken();
            }
            return ([.. tokens], StatusCode.OK);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
        {
            return (null, e.StatusCode);
        }
    }

    static async Task<TimeSpan> FirstSuccess(RexClient client, int[] prompt, int[] expected, Stopwatch clock)
    {
        while (true)
        {
            try
            {
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                var response = await client.GenerateAsync(ServingTests.Greedy(prompt, MaxTokens), bound.Token);
                Assert.Equal(expected, response.TokenIds);
                return clock.Elapsed;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.Cancelled && clock.Elapsed < TimeSpan.FromSeconds(120))
            {
                await Task.Delay(200);
            }
        }
    }

    // Every replica the gateway expects is active on one of the two expert silos left.
    static async Task<TimeSpan> AllExpertsActive(RexClient client, int replicas, Stopwatch clock)
    {
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            var status = await client.GetClusterStatusAsync();
            var expertSilos = status.Silos.Where(s => s.Roles.Contains("expert")).ToArray();
            if (expertSilos.Length == 2 && expertSilos.Sum(s => s.Experts.Count) == 2 * 16 * replicas) return clock.Elapsed;
            await Task.Delay(250);
        }
        throw new TimeoutException("the lost experts were not all active again within 90 s of the kill");
    }
}
