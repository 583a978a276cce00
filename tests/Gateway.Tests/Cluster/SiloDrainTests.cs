using Orleans.Runtime;
using Rex.Protos.Grains;

namespace Rex.Gateway.Tests.Cluster;

/// <summary>
/// SiloDrain on real Rex silos in one process: an expert silo that stops gracefully (Orleans runs its hosted
/// services' stopping hooks, as SIGTERM does in a process) first moves every replica it hosts to the other expert
/// silos, so the gateway serves on from them with the same greedy tokens.
/// </summary>
public sealed class SiloDrainTests
{
    [Fact]
    public async Task AStoppingExpertSiloHandsItsReplicasToTheOthersBeforeItLeaves()
    {
        await using var cluster = await ExpertTestCluster.Start(expertSilos: 3);
        var expected = LocalGreedy.ForFixturePrompts();
        // An expert silo that does not hold the placement ledger, whose cordon list says the drain ran (the ledger
        // keeps it in memory: on the leaving silo it would go with it).
        var ledger = cluster.Orleans.Client.GetGrain<IExpertPlacementGrain>(IExpertPlacementGrain.LedgerKey);
        var ledgerSilo = await cluster.Orleans.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(ledger);
        var leaving = cluster.Orleans.Silos.Skip(1).First(s => !s.SiloAddress.Equals(ledgerSilo));
        var before = await cluster.Gateway.Status();
        Assert.Contains(before.Experts, e => e.Silo == leaving.SiloAddress.ToString());

        await cluster.Orleans.StopSiloAsync(leaving);

        // The drain ran: it cordoned its silo in the placement ledger before moving the replicas away.
        Assert.Contains(leaving.SiloAddress, (await ledger.ClaimRebalance("silo-drain-test", TimeSpan.Zero)).Cordoned);
        // Every replica lives on the two other expert silos once the gateway's directory has looked again.
        var after = await cluster.Gateway.Status();
        for (var attempt = 0; attempt < 100 && after.Experts.Any(e => e.Silo == leaving.SiloAddress.ToString()); attempt++)
        {
            await Task.Delay(100);
            after = await cluster.Gateway.Status();
        }
        Assert.Equal(after.ExpectedExperts, after.Experts.Length);
        Assert.DoesNotContain(after.Experts, e => e.Silo == leaving.SiloAddress.ToString());
        Assert.Equal(2, after.Experts.Select(e => e.Silo).Distinct().Count());
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i].Tokens, await cluster.Greedy(expected[i].Prompt));
    }
}
