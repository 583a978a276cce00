using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.Sampling;
using Rex.Protos.Grains;
using Rex.Tests;

namespace Rex.Gateway.Tests.Cluster;

/// <summary>
/// A gateway silo and three expert silos in an Orleans test cluster: the distributed model must produce the local
/// engine's greedy tokens, with the experts really spread over the expert silos.
/// </summary>
public sealed class ExpertClusterTests(ExpertClusterTests.ThreeExpertSilos fixture) : IClassFixture<ExpertClusterTests.ThreeExpertSilos>
{
    public sealed class ThreeExpertSilos : IAsyncLifetime
    {
        public ExpertTestCluster Cluster { get; private set; } = null!;

        public async Task InitializeAsync() => Cluster = await ExpertTestCluster.Start(expertSilos: 3);

        public async Task DisposeAsync() => await Cluster.DisposeAsync();
    }

    [Fact]
    public async Task GreedyTokensEqualTheLocalEnginesForEveryFixturePrompt()
    {
        var expected = LocalGreedy.ForFixturePrompts();
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i].Tokens, await fixture.Cluster.Greedy(expected[i].Prompt));
    }

    [Fact]
    public async Task ConcurrentRequestsBatchTogetherAndStillMatch()
    {
        var expected = LocalGreedy.ForFixturePrompts();
        var results = await Task.WhenAll(expected.Select(e => fixture.Cluster.Greedy(e.Prompt)));
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i].Tokens, results[i]);
    }

    [Fact]
    public async Task ExpertsAreSpreadOverTheExpertSilosAndTheirDevices()
    {
        await fixture.Cluster.Greedy([791, 4062, 14198], 4);
        var status = await fixture.Cluster.Gateway.Status();
        Assert.Equal(2 * 16, status.ExpectedExperts);
        var perSilo = status.Experts.GroupBy(e => e.Silo).ToDictionary(g => g.Key, g => g.ToArray());
        Assert.Equal(3, perSilo.Count); // none on the gateway silo
        Assert.All(perSilo.Values, experts => Assert.InRange(experts.Length, 10, 11)); // 32 over 3 silos by count
        Assert.Contains(perSilo.Values, experts => experts.Select(e => e.Device).Distinct().Order().SequenceEqual(["cpu:0", "cpu:1"]));
        Assert.Equal(3, status.Experts.Select(e => e.DataPlane).Distinct().Count());
        Assert.True(status.Experts.Sum(e => e.RowsServed) > 0);
    }
}

/// <summary>The single-process engine's greedy continuations of the fixture prompts: the oracle for the cluster.</summary>
public static class LocalGreedy
{
    static readonly Lazy<(int[] Prompt, int[] Tokens)[]> Fixture = new(() =>
    {
        using var engine = ReferenceEngine.Load(TestPaths.DbrxTiny, ComputePlacement.Cpu);
        var prompts = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.DbrxTiny, "expected.json")))
            .RootElement.EnumerateArray().Select(p => p.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();
        return prompts.Select(p => (p, engine.Generate([new GenerationRequest(p, new SamplingParams { MaxTokens = 16, IgnoreEos = true })])[0].TokenIds.ToArray()))
            .ToArray();
    });

    public static (int[] Prompt, int[] Tokens)[] ForFixturePrompts() => Fixture.Value;
}
