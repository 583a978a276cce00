using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Rex.Client;
using Rex.Tests;
using Xunit.Abstractions;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// A gateway with no expert silo, never or any more: requests wait at most ExpertWaitTimeoutSeconds (counted as
/// waiting), then are refused with UNAVAILABLE (HTTP 503 with Retry-After) and counted; once an expert silo is back,
/// requests are served again without a restart. Timed, so alone: a starved machine would stretch the waits.
/// </summary>
[Collection(Alone.Name)]
public sealed class NoExpertsTests(ITestOutputHelper output)
{
    const int Bound = 2; // ExpertWaitTimeoutSeconds
    static readonly TimeSpan Slack = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task AGatewayWithNoExpertSiloRefusesWithinTheBoundOverGrpcAndHttp()
    {
        await using var gateway = await GatewayProcess.Start(
            [.. GatewayProcess.FixtureModel, "--Rex:Roles=gateway", $"--Rex:ExpertWaitTimeoutSeconds={Bound}"], waitForExperts: false);
        using var client = new RexClient(new RexClientOptions { Address = gateway.Address, MaxRetries = 0 });

        var unary = Refusal(bound => client.GenerateAsync(ServingTests.Greedy([1, 2, 3], 4), bound));
        Assert.True(await IsCountedAsWaiting(client, unary), "the waiting request was not counted in the scheduler's waiting requests");
        var (error, elapsed) = await unary;
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains($"ExpertWaitTimeoutSeconds ({Bound} s)", error.Status.Detail);
        Assert.Contains("0 of MinExpertSilos (1) expert silos active", error.Status.Detail);
        AssertWithinBound(elapsed);

        var (streamError, streamElapsed) = await Refusal(async bound =>
        {
            await foreach (var _ in client.GenerateStreamAsync(ServingTests.Greedy([1, 2, 3], 4), bound)) Assert.Fail("a token came without experts");
        });
        Assert.Equal(StatusCode.Unavailable, streamError.StatusCode);
        AssertWithinBound(streamElapsed);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(Bound) + Slack };
        foreach (var stream in new[] { false, true })
        {
            var clock = Stopwatch.StartNew();
            using var reply = await http.PostAsync($"{gateway.OpenAiBase}/chat/completions", Chat(stream));
            AssertWithinBound(clock.Elapsed);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, reply.StatusCode);
            Assert.Equal(Bound.ToString(CultureInfo.InvariantCulture), Assert.Single(reply.Headers.GetValues("Retry-After")));
            var body = JsonNode.Parse(await reply.Content.ReadAsStringAsync())!["error"]!;
            Assert.Equal(("server_error", "no_experts"), ((string?)body["type"], (string?)body["code"]));
            Assert.Contains($"ExpertWaitTimeoutSeconds ({Bound} s)", (string?)body["message"]);
        }

        var metrics = await http.GetStringAsync(gateway.OpenAiBase[..^"v1".Length] + "metrics");
        Assert.Equal(4, MetricsTests.Sum(metrics, "rex_requests_refused_total", "rex_reason=\"no_experts\""));
        output.WriteLine($"refused after {elapsed.TotalSeconds:F2} s (gRPC), {streamElapsed.TotalSeconds:F2} s (gRPC stream); bound {Bound} s");
    }

    [Fact]
    public async Task LosingTheOnlyExpertSiloRefusesFastAndAReturningSiloServesAgain()
    {
        using var state = new TemporaryDirectory();
        using var home = new TemporaryDirectory();
        var environment = new Dictionary<string, string> { ["REX_HOME"] = home.Path };
        ChildProcess? returned = null;
        try
        {
            var up = await ChildProcess.Run("rex.dll",
            [
                "cluster", "up", "--silos", "1", "--model", TestPaths.DbrxTiny, "--port", "0", "--http-port", "0", "--state", state.Path,
                "--gateway-arg", $"Rex:ExpertWaitTimeoutSeconds={Bound}",
            ], environment);
            Assert.True(up.ExitCode == 0, up.Error);
            using var client = new RexClient(new RexClientOptions { Address = up.Output.Trim().Split('\n')[^1], MaxRetries = 0 });
            var (prompt, tokens) = FixtureGreedy.All[0];
            Assert.Equal(tokens, await GatewayClient.Greedy(client, prompt));

            var pid = SiloPid(state.Path);
            // The same settings and environment start its successor.
            var launch = ProcessLaunch.Of(pid);
            using (var silo = Process.GetProcessById(pid))
            {
                silo.Kill();
                await silo.WaitForExitAsync();
            }

            var refusals = new List<TimeSpan>();
            for (var i = 0; i < 3; i++)
            {
                var (error, elapsed) = await Refusal(bound => client.GenerateAsync(ServingTests.Greedy(prompt, 16), bound));
                Assert.Equal(StatusCode.Unavailable, error.StatusCode);
                Assert.Contains("no experts", error.Status.Detail);
                AssertWithinBound(elapsed);
                refusals.Add(elapsed);
            }

            returned = ChildProcess.Start(launch.Program, launch.Args, launch.Environment);
            var clock = Stopwatch.StartNew();
            var served = await FirstServed(client, prompt, clock);
            Assert.Equal(tokens, served);
            output.WriteLine($"after the kill, refused in {string.Join(", ", refusals.Select(r => r.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)))} s " +
                $"(bound {Bound} s); served again {clock.Elapsed.TotalSeconds:F1} s after a new silo started");
        }
        finally
        {
            if (returned is not null) await returned.DisposeAsync();
            await ChildProcess.Run("rex.dll", ["cluster", "down", "--state", state.Path], environment);
        }
    }

    // A call that must be refused, given its cancellation past the bound and the slack: a request held longer fails
    // the test as CANCELLED instead of hanging it.
    static async Task<(RpcException Error, TimeSpan Elapsed)> Refusal(Func<CancellationToken, Task> call)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(Bound) + Slack);
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<RpcException>(() => call(bound.Token));
        return (error, clock.Elapsed);
    }

    // A request waits at least the bound for the experts, and not much longer.
    static void AssertWithinBound(TimeSpan elapsed) =>
        Assert.True(elapsed >= TimeSpan.FromSeconds(Bound) - TimeSpan.FromMilliseconds(100) && elapsed < TimeSpan.FromSeconds(Bound) + Slack,
            $"refused after {elapsed}, not within [{Bound} s, {Bound} s + {Slack.TotalSeconds} s)");

    static async Task<bool> IsCountedAsWaiting(RexClient client, Task pending)
    {
        while (!pending.IsCompleted)
        {
            if ((await client.GetClusterStatusAsync()).Scheduler.NumWaiting == 1) return true;
            await Task.Delay(50);
        }
        return false;
    }

    static async Task<int[]> FirstServed(RexClient client, int[] prompt, Stopwatch clock)
    {
        while (true)
        {
            try
            {
                return await GatewayClient.Greedy(client, prompt);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && clock.Elapsed < TimeSpan.FromSeconds(90))
            {
                // Refused while the new silo joins and its experts are placed: each try waits up to the bound.
            }
        }
    }

    static StringContent Chat(bool stream) => new(
        $$"""{"model": "dbrx-tiny", "messages": [{"role": "user", "content": "Hello, Rex"}], "max_tokens": 4, "stream": {{(stream ? "true" : "false")}}}""",
        Encoding.UTF8, "application/json");

    static int SiloPid(string state) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(state, "cluster.json"))).RootElement.GetProperty("processes")
            .EnumerateArray().First(p => p.GetProperty("role").GetString() == "silo-0").GetProperty("pid").GetInt32();
}
