using Rex.Gateway.Tests.Cluster;
using Rex.Protos.Grains;

namespace Rex.Gateway.Tests.Placement;

/// <summary>
/// The rebalancer on a real test cluster of three expert silos: every replica is first crowded onto one silo, then
/// greedy requests keep running while the rebalancer, by measured load, spreads replicas over the idle silos, a few
/// per interval, without changing a token.
/// </summary>
public sealed class ExpertRebalancerTests
{
    [Fact]
    public async Task ReplicasCrowdedOntoOneSiloSpreadUnderLoadWithoutChangingATokenOrStopping()
    {
        await using var cluster = await ExpertTestCluster.Start(3, o =>
        {
            o.RebalanceIntervalSeconds = 0.5;
            o.MaxExpertMovesPerInterval = 3;
        });
        var crowded = await Crowd(cluster);
        var expected = LocalGreedy.ForFixturePrompts();
        GatewayStatus status;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        do
        {
            Assert.True(DateTime.UtcNow < deadline, "the rebalancer did not spread the replicas over all three silos within 90 s");
            var results = await Task.WhenAll(expected.Select(e => cluster.Greedy(e.Prompt)));
            for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i].Tokens, results[i]);
            status = await cluster.Gateway.Status();
        }
        while (status.Experts.Select(e => e.Silo).Distinct().Count() < 3);

        Assert.True(status.Dispatch.ExpertMoves > 0);
        Assert.True(status.Experts.Count(e => e.Silo == crowded) < status.ExpectedExperts);
    }

    // Moves every replica to the silo that hosts the most, as if the others had just joined; returns that silo.
    static async Task<string> Crowd(ExpertTestCluster cluster)
    {
        var experts = (await cluster.Gateway.Status()).Experts;
        var crowded = experts.GroupBy(e => e.Silo).OrderByDescending(g => g.Count()).First().Key;
        var target = cluster.Orleans.Silos.Select(s => s.SiloAddress).First(s => s.ToString() == crowded);
        foreach (var expert in experts.Where(e => e.Silo != crowded))
            await cluster.Orleans.Client.GetGrain<IExpertGrain>(expert.Key.ToString()).Move(target);
        for (var attempt = 0; attempt < 300; attempt++)
        {
            var placed = (await cluster.Gateway.Status()).Experts;
            if (placed.Length == experts.Length && placed.All(e => e.Silo == crowded)) return crowded;
            await Task.Delay(100);
        }
        throw new TimeoutException($"the replicas did not all move to {crowded}");
    }
}
