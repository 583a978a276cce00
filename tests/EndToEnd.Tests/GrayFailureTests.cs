using System.Diagnostics;
using Grpc.Core;
using Rex.Client;
using Xunit.Abstractions;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// A real 4-process cluster (gateway + 3 expert silos) with one expert silo SIGSTOPped under 16 greedy streams: a
/// gray failure. The stopped silo keeps its connections and its Orleans membership (run here at Orleans' own
/// defaults, about 15 s to declare a silo dead), so only the data plane's expert deadline notices it. Prints the
/// longest stall and how fast the silo was back in routing after SIGCONT. The silo is stopped once the streams are
/// half done: the deadline derives from the last 256 round trips, and by then none of them is a cold start's.
/// </summary>
[Collection(Alone.Name)]
public sealed class GrayFailureTests(ITestOutputHelper output)
{
    // Orleans' defaults, not Rex's 2 s x 2: the silo stays a member for the whole stop.
    static readonly Dictionary<string, string> SlowMembership = new() { ["ProbeTimeoutSeconds"] = "5", ["NumMissedProbesLimit"] = "3" };
    static readonly TimeSpan Stop = TimeSpan.FromSeconds(4);
    const int NumTokens = 100;

    [Fact]
    public async Task AStalledSiloWithReplicasFailsNoRequestStallsNoStreamAndReturnsWhenResumed()
    {
        await using var cluster = await StreamingCluster.Start(output, replicas: 2, seed: 33, maxTokens: NumTokens, settings: SlowMembership);
        var pid = cluster.Pid(role => role.StartsWith("silo-", StringComparison.Ordinal));
        try
        {
            await cluster.WaitForTokens(NumTokens / 2);
            var stopped = Stopwatch.GetTimestamp();
            Signal("STOP", pid);
            await Task.Delay(Stop);
            var whileStopped = await cluster.Client.GetClusterStatusAsync();
            var stallWhileStopped = cluster.LargestGapSince(stopped);
            Signal("CONT", pid);
            var resumed = Stopwatch.GetTimestamp();
            var backAfter = await NoSiloSuspect(cluster.Client, resumed);

            var outcomes = await Task.WhenAll(cluster.Streams);
            var stall = cluster.LargestGapSince(stopped);
            for (var i = 0; i < outcomes.Length; i++) Assert.Equal(cluster.Alone[i], outcomes[i].Tokens);
            var after = await Task.WhenAll(cluster.Prompts.Select(p => cluster.Client.GenerateAsync(ServingTests.Greedy(p, cluster.NumTokens))));
            Assert.Equal(cluster.Alone, after.Select(r => r.TokenIds.ToArray()));
            var status = await cluster.Client.GetClusterStatusAsync();
            output.WriteLine($"replicas 2, silo SIGSTOPped for {Stop.TotalSeconds:F0} s under 16 streams of {cluster.NumTokens} tokens: 0 of 16 failed; " +
                $"longest gap between tokens {stallWhileStopped.TotalSeconds:F2} s while stopped, {stall.TotalSeconds:F2} s overall; " +
                $"{whileStopped.Dispatch.SuspectSilos} silo suspect while stopped; back in routing {backAfter.TotalSeconds:F2} s after SIGCONT; " +
                $"deadline {whileStopped.Dispatch.ExpertDeadlineMs:F0} ms, {status.Dispatch.DeadlineMisses} misses, {status.Dispatch.ResentRows} rows resent");
            Assert.Equal(1, whileStopped.Dispatch.SuspectSilos);
            Assert.True(stall < TimeSpan.FromSeconds(5), $"a stream went {stall.TotalSeconds:F1} s without a token");
            Assert.True(status.Dispatch.ResentRows > 0);
            Assert.False(Process.GetProcessById(pid).HasExited); // back without a restart
        }
        catch
        {
            Signal("CONT", pid);
            cluster.WriteLogs();
            throw;
        }
    }

    [Fact]
    public async Task AStalledSiloWithoutReplicasFailsOnlyTheRequestsThatNeedItAndFast()
    {
        await using var cluster = await StreamingCluster.Start(output, replicas: 1, seed: 34, maxTokens: NumTokens, settings: SlowMembership);
        var pid = cluster.Pid(role => role.StartsWith("silo-", StringComparison.Ordinal));
        try
        {
            await cluster.WaitForTokens(NumTokens / 2);
            var deadline = (await cluster.Client.GetClusterStatusAsync()).Dispatch.ExpertDeadlineMs;
            var stopped = Stopwatch.GetTimestamp();
            Signal("STOP", pid);
            var outcomes = await Task.WhenAll(cluster.Streams);
            var ended = Stopwatch.GetElapsedTime(stopped);
            var failed = outcomes.Where(o => o.Tokens is null).ToArray();
            var slowestFailure = cluster.Ends.Where((_, i) => outcomes[i].Tokens is null).Select(end => Stopwatch.GetElapsedTime(stopped, end)).DefaultIfEmpty().Max();
            Signal("CONT", pid);
            var backAfter = await NoSiloSuspect(cluster.Client, Stopwatch.GetTimestamp());
            var response = await cluster.Client.GenerateAsync(ServingTests.Greedy(cluster.Prompts[0], cluster.NumTokens));

            output.WriteLine($"replicas 1, silo SIGSTOPped under 16 streams: {failed.Length} of 16 failed with UNAVAILABLE, the last " +
                $"{slowestFailure.TotalSeconds:F2} s after SIGSTOP; all 16 ended {ended.TotalSeconds:F2} s after it; back in routing " +
                $"{backAfter.TotalSeconds:F2} s after SIGCONT; deadline {deadline:F0} ms; first error: {failed.FirstOrDefault().Error?.Status.Detail}");
            for (var i = 0; i < outcomes.Length; i++)
                Assert.True(outcomes[i].Tokens is null || outcomes[i].Tokens!.SequenceEqual(cluster.Alone[i]), $"request {i} returned other tokens than the local engine");
            Assert.NotEmpty(failed);
            Assert.All(failed, f => Assert.Contains("ExpertDeadlineMs", f.Error!.Status.Detail));
            Assert.True(ended < TimeSpan.FromSeconds(10), $"the streams took {ended.TotalSeconds:F1} s to end after SIGSTOP");
            Assert.Equal(cluster.Alone[0], response.TokenIds);
        }
        catch
        {
            Signal("CONT", pid);
            cluster.WriteLogs();
            throw;
        }
    }

    // How long after `since` the gateway held no silo suspect: the resumed silo answered.
    static async Task<TimeSpan> NoSiloSuspect(RexClient client, long since)
    {
        while (Stopwatch.GetElapsedTime(since) < TimeSpan.FromSeconds(10))
        {
            if ((await client.GetClusterStatusAsync()).Dispatch.SuspectSilos == 0) return Stopwatch.GetElapsedTime(since);
            await Task.Delay(50);
        }
        throw new TimeoutException("the resumed silo was still suspect 10 s after SIGCONT");
    }

    static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString()]);
        kill.WaitForExit();
    }
}
