using Rex.Protos.Grains;

namespace Rex.Gateway.Tests.Cluster;

/// <summary>Replicas, capacity limits and the drop policy, each on its own test cluster of three expert silos.</summary>
public sealed class LoadBalancingTests
{
    [Fact]
    public async Task BothReplicasOfEveryExpertReceiveRowsOnDifferentSilos()
    {
        await using var cluster = await ExpertTestCluster.Start(3, o => o.ExpertReplicas = 2);
        var expected = LocalGreedy.ForFixturePrompts();
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i].Tokens, await cluster.Greedy(expected[i].Prompt));

        var status = await cluster.Gateway.Status();
        Assert.Equal(2 * 16 * 2, status.Experts.Length);
        foreach (var expert in status.Experts.GroupBy(e => (e.Key.Layer, e.Key.Expert)))
            Assert.Equal(2, expert.Select(e => e.Silo).Distinct().Count());
        var served = status.Experts.GroupBy(e => e.Key.Replica).ToDictionary(g => g.Key, g => g.Sum(e => e.RowsServed));
        Assert.True(served[0] > 0 && served[1] > 0, $"rows served by replica 0: {served[0]}, replica 1: {served[1]}");
        // Least outstanding work alternates between replicas: every expert that served rows used both.
        var busy = status.Experts.GroupBy(e => (e.Key.Layer, e.Key.Expert)).Where(g => g.Sum(e => e.RowsServed) >= 4).ToArray();
        Assert.NotEmpty(busy);
        Assert.All(busy, g => Assert.All(g, replica => Assert.True(replica.RowsServed > 0, $"{replica.Key} served nothing")));
    }

    [Fact]
    public async Task OverflowingCapacityChangesNoOutputAndIsCounted()
    {
        await using var cluster = await ExpertTestCluster.Start(3, o =>
        {
            // Two micro-batches put two dispatches of a layer in flight at once, so replicas fill up and rows overflow.
            o.NumMicroBatches = 2;
            o.ExpertReplicas = 2;
            o.ExpertCapacityFactor = 0.25;
            o.MaxRowsPerSiloMessage = 5;
        });
        var expected = LocalGreedy.ForFixturePrompts();
        var results = await Task.WhenAll(expected.Select(e => cluster.Greedy(e.Prompt)));
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i].Tokens, results[i]);

        var dispatch = (await cluster.Gateway.Status()).Dispatch;
        Assert.True(dispatch.DeferredSlots > 0, $"deferred {dispatch.DeferredSlots}");
        Assert.True(dispatch.ReroutedSlots > 0, $"rerouted {dispatch.ReroutedSlots}");
        Assert.Equal(0, dispatch.DroppedSlots);
    }

    [Fact]
    public async Task TheDropPolicySkipsOverflowAndCountsIt()
    {
        await using var cluster = await ExpertTestCluster.Start(3, o =>
        {
            o.ExpertCapacityFactor = 0.25;
            o.CapacityPolicy = Rex.Gateway.Dispatch.CapacityPolicy.Drop;
        });
        var prompt = LocalGreedy.ForFixturePrompts()[3].Prompt; // 64 tokens: some experts get far more than 0.25 x the even share
        await cluster.Greedy(prompt, 2);
        var dispatch = (await cluster.Gateway.Status()).Dispatch;
        Assert.True(dispatch.DroppedSlots > 0);
        Assert.Equal(0, dispatch.DeferredSlots);
    }
}
