using System.Diagnostics;
using Rex.Tests;
using Xunit.Abstractions;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// A real 4-process cluster (gateway + 3 expert silos, no replicas) drains one expert silo with `rex cluster drain`
/// while 16 greedy streams run: every expert moves to the other two silos, the silo exits, and every stream ends
/// with the local engine's tokens: no request fails.
/// </summary>
[Collection(Alone.Name)]
public sealed class DrainTests(ITestOutputHelper output)
{
    [Fact]
    public async Task DrainingAnExpertSiloUnderLoadMovesEveryExpertAndFailsNoRequest()
    {
        await using var cluster = await StreamingCluster.Start(output, replicas: 1, seed: 33);
        try
        {
            var clock = Stopwatch.StartNew();
            var drain = await ChildProcess.Run("rex.dll", ["cluster", "drain", "silo-0", "--state", cluster.State], cluster.Environment);
            output.WriteLine(drain.Output.Trim());
            Assert.True(drain.ExitCode == 0, drain.Error);
            Assert.Contains("Drained: moved all", drain.Output);

            var outcomes = await Task.WhenAll(cluster.Streams);
            output.WriteLine($"drain took {clock.Elapsed.TotalSeconds:F1} s; all 16 streams ended with the local engine's tokens");
            for (var i = 0; i < outcomes.Length; i++) Assert.Equal(cluster.Alone[i], outcomes[i].Tokens);

            var status = await cluster.Client.GetClusterStatusAsync();
            var expertSilos = status.Silos.Where(s => s.Roles.Contains("expert")).ToArray();
            Assert.Equal(2, expertSilos.Length);
            Assert.Equal(status.ExpectedExperts, expertSilos.Sum(s => s.Experts.Count));
            var again = await cluster.Client.GenerateAsync(ServingTests.Greedy(cluster.Prompts[0], StreamingCluster.MaxTokens));
            Assert.Equal(cluster.Alone[0], again.TokenIds);
        }
        catch
        {
            cluster.WriteLogs();
            throw;
        }
    }
}
