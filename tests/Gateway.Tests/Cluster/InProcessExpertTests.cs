using Rex.Gateway.Hosting;

namespace Rex.Gateway.Tests.Cluster;

/// <summary>
/// A gateway whose own silo hosts experts too calls them in process (the rows stay a tensor), and sends the rest over
/// the data plane; with InProcessExperts off, everything goes over the data plane. Either way the greedy tokens are
/// the local engine's for every fixture prompt.
/// </summary>
public sealed class InProcessExpertTests
{
    [Theory]
    [InlineData(0, true)]  // the embedded default: every expert in the gateway's process, nothing on the wire
    [InlineData(1, true)]  // some experts here, some on another silo: both paths in one layer
    [InlineData(1, false)] // the setting that forces the data plane
    public async Task GreedyTokensEqualTheLocalEnginesThroughEitherPath(int otherExpertSilos, bool inProcess)
    {
        await using var cluster = await ExpertTestCluster.Start(otherExpertSilos, o => o.InProcessExperts = inProcess, gatewayHostsExperts: true);
        var expected = LocalGreedy.ForFixturePrompts();
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i].Tokens, await cluster.Greedy(expected[i].Prompt));
        var concurrent = await Task.WhenAll(expected.Select(e => cluster.Greedy(e.Prompt)));
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i].Tokens, concurrent[i]);

        var status = await cluster.Gateway.Status();
        var dispatch = status.Dispatch;
        if (!inProcess)
        {
            Assert.Equal(0, dispatch.InProcessMessages);
            Assert.True(dispatch.Messages > 0);
            return;
        }
        Assert.True(dispatch.InProcessMessages > 0);
        Assert.True(dispatch.InProcessRows >= dispatch.InProcessMessages);
        if (otherExpertSilos == 0) Assert.Equal(0, dispatch.Messages);
        else Assert.True(dispatch.Messages > 0);
    }
}
