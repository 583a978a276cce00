using System.Diagnostics;
using Rex.Client;
using Rex.Tests;
using Xunit.Abstractions;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// Two gateways behind one Service (Redis membership, 2 expert silos): 16 greedy streams, each on its own connection,
/// spread over both; one gateway is SIGKILLed mid-stream. The SDK starts the cut streams again through the Service,
/// which sends them to the gateway left, and skips what they had delivered: every request ends with the local
/// engine's tokens. Prints how long the failover took.
/// </summary>
[Collection(Alone.Name)]
public sealed class GatewayFailoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task LosingOneOfTwoGatewaysCostsItsClientsTimeNotRequests()
    {
        await using var cluster = await StreamingCluster.Start(output, replicas: 1, seed: 45, silos: 2, gateways: 2);
        try
        {
            var spread = cluster.Service!.Connections;
            Assert.All(spread, connections => Assert.True(connections > 0, $"the streams did not spread over both gateways: {string.Join(", ", spread)}"));
            Process.GetProcessById(cluster.Pid(role => role == "gateway")).Kill();
            var killed = Stopwatch.StartNew();

            var outcomes = await Task.WhenAll(cluster.Streams);
            var ended = killed.Elapsed;
            for (var i = 0; i < outcomes.Length; i++) Assert.Equal(cluster.Alone[i], outcomes[i].Tokens);
            using var fresh = new RexClient(cluster.Service.Address);
            var again = await fresh.GenerateAsync(ServingTests.Greedy(cluster.Prompts[0], StreamingCluster.MaxTokens));
            Assert.Equal(cluster.Alone[0], again.TokenIds);
            output.WriteLine($"gateway killed with {spread[0]} of {spread.Sum()} connections on it: all 16 streams ended with the local engine's " +
                $"tokens {ended.TotalSeconds:F1} s after the kill; a new request through the Service succeeded {killed.Elapsed.TotalSeconds:F1} s after it");
        }
        catch
        {
            cluster.WriteLogs();
            throw;
        }
    }
}
