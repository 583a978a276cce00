using Rex.Protos.Grains;

namespace Rex.Gateway.Tests.Cluster;

/// <summary>The gateway follows where experts live: a migrated expert and a lost silo change nothing a client sees.</summary>
public sealed class ExpertDirectoryTests
{
    static readonly (int[] Prompt, int[] Tokens) Fixture = LocalGreedy.ForFixturePrompts()[1];

    [Fact]
    public async Task AnExpertMigratedToAnotherSiloIsFollowed()
    {
        await using var cluster = await ExpertTestCluster.Start(3);
        var before = (await cluster.Gateway.Status()).Experts.Single(e => e.Key is { Layer: 0, Expert: 5 });
        var target = cluster.Orleans.Silos.Select(s => s.SiloAddress).First(s => s.ToString() != before.Silo && cluster.Orleans.Silos[0].SiloAddress != s);

        await cluster.Orleans.MigrateAsync(cluster.Orleans.Client.GetGrain<IExpertGrain>(before.Key.ToString()), target);

        Assert.Equal(Fixture.Tokens, await cluster.Greedy(Fixture.Prompt));
        var after = (await cluster.Gateway.Status()).Experts.Single(e => e.Key == before.Key);
        Assert.Equal(target.ToString(), after.Silo);
        Assert.NotEqual(before.DataPlane, after.DataPlane);
    }

    [Fact]
    public async Task ExpertsOfAStoppedSiloAreReactivatedOnTheOthers()
    {
        await using var cluster = await ExpertTestCluster.Start(3);
        Assert.Equal(Fixture.Tokens, await cluster.Greedy(Fixture.Prompt));
        var lost = cluster.Orleans.Silos[1];
        await cluster.Orleans.StopSiloAsync(lost);

        Assert.Equal(Fixture.Tokens, await cluster.Greedy(Fixture.Prompt));
        var status = await cluster.Gateway.Status();
        Assert.Equal(status.ExpectedExperts, status.Experts.Length);
        Assert.DoesNotContain(status.Experts, e => e.Silo == lost.SiloAddress.ToString());
        Assert.Equal(2, status.Experts.Select(e => e.Silo).Distinct().Count());
    }

    [Fact]
    public async Task WithReplicasALostSilosRowsGoToTheSurvivingReplicas()
    {
        await using var cluster = await ExpertTestCluster.Start(3, o => o.ExpertReplicas = 2);
        Assert.Equal(Fixture.Tokens, await cluster.Greedy(Fixture.Prompt));
        var lost = cluster.Orleans.Silos[2];
        await cluster.Orleans.StopSiloAsync(lost);

        var results = await Task.WhenAll(LocalGreedy.ForFixturePrompts().Select(f => cluster.Greedy(f.Prompt)));
        Assert.Equal(LocalGreedy.ForFixturePrompts().Select(f => f.Tokens), results);
        var status = await cluster.Gateway.Status();
        Assert.DoesNotContain(status.Experts, e => e.Silo == lost.SiloAddress.ToString());
    }
}
