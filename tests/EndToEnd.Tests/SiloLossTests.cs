using System.Diagnostics;
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
    [Theory]
    [InlineData(2)] // every expert replicated once: rows go to the other replica at once
    [InlineData(1)] // no replicas: steps wait for Orleans to reactivate the lost experts elsewhere
    public async Task KillingAnExpertSiloMidStreamLosesNoRequestSilently(int replicas)
    {
        await using var cluster = await StreamingCluster.Start(output, replicas, seed: 21);
        try
        {
            Process.GetProcessById(cluster.Pid(role => role.StartsWith("silo-", StringComparison.Ordinal))).Kill();
            var killed = Stopwatch.StartNew();

            var outcomes = await Task.WhenAll(cluster.Streams);
            var ended = killed.Elapsed;
            for (var i = 0; i < outcomes.Length; i++)
                Assert.True(outcomes[i].Tokens is null || outcomes[i].Tokens!.SequenceEqual(cluster.Alone[i]), $"request {i} returned other tokens than the local engine");
            var unavailable = outcomes.Count(o => o.Tokens is null);

            var served = await FirstSuccess(cluster.Client, cluster.Prompts[0], cluster.Alone[0], killed);
            var recovered = await AllExpertsActive(cluster.Client, replicas, killed);
            output.WriteLine($"replicas {replicas}: all 16 streams ended {ended.TotalSeconds:F1} s after the kill, {16 - unavailable} with " +
                $"the local engine's tokens, {unavailable} UNAVAILABLE; a new request succeeded {served.TotalSeconds:F1} s after the kill; " +
                $"every expert replica active again {recovered.TotalSeconds:F1} s after the kill");
            Assert.True(served < TimeSpan.FromSeconds(30), $"no new request succeeded within 30 s of the kill ({served})");
            if (replicas == 2) Assert.Equal(0, unavailable); // the other replica takes the rows at once
        }
        catch
        {
            cluster.WriteLogs();
            throw;
        }
    }

    static async Task<TimeSpan> FirstSuccess(RexClient client, int[] prompt, int[] expected, Stopwatch clock)
    {
        while (true)
        {
            try
            {
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                var response = await client.GenerateAsync(ServingTests.Greedy(prompt, StreamingCluster.MaxTokens), bound.Token);
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
