using System.Net;
using Orleans.Runtime;
using Orleans.TestingHost;
using Rex.Protos.Grains;

namespace Rex.Silo.Tests.Grains;

/// <summary>One real Orleans silo in this process hosts the ledgers; each test talks to a ledger of its own.</summary>
public sealed class LedgerCluster : IAsyncLifetime
{
    InProcessTestCluster? cluster;

    public IGrainFactory Grains => cluster!.Client;

    public async Task InitializeAsync()
    {
        cluster = new InProcessTestClusterBuilder(1).Build();
        await cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await cluster!.StopAllSilosAsync();
        await cluster.DisposeAsync();
    }
}

public class ExpertPlacementGrainTests(LedgerCluster cluster) : IClassFixture<LedgerCluster>
{
    const long Gib = 1L << 30;

    static readonly SiloAddress A = Silo(1), B = Silo(2), C = Silo(3);

    static SiloAddress Silo(int last) => SiloAddress.New(new IPEndPoint(IPAddress.Parse($"10.0.0.{last}"), 11111), 1);

    static ExpertGrainKey Key(int expert, int replica = 0, int layer = 0) => new("m", layer, expert, replica);

    static ExpertSiloCandidate[] Candidates(params SiloAddress[] silos) => [.. silos.Select(s => new ExpertSiloCandidate(s, 8 * Gib))];

    IExpertPlacementGrain NewLedger() => cluster.Grains.GetGrain<IExpertPlacementGrain>(Guid.NewGuid().ToString());

    [Fact]
    public async Task ReplicasOfOneExpertGoToDifferentSilos()
    {
        var ledger = NewLedger();
        var first = await ledger.Choose(Key(0, replica: 0), Gib, Candidates(A, B, C));
        // Another expert lands beside it only if nothing else is emptier; the second replica of expert 0 never does.
        await ledger.Choose(Key(1), Gib, Candidates(A, B, C));
        var second = await ledger.Choose(Key(0, replica: 1), Gib, Candidates(A, B, C));
        var third = await ledger.Choose(Key(0, replica: 2), Gib, Candidates(A, B, C));
        Assert.Equal(3, new[] { first, second, third }.Distinct().Count());
    }

    [Fact]
    public async Task ReplicasSpreadByTheShareOfEachSilosMemoryTheyFill()
    {
        var ledger = NewLedger();
        // A offers 3 GiB, B 1 GiB: of four 1 GiB experts, three fill A to 1.0 before B's one fills it to 1.0.
        ExpertSiloCandidate[] candidates = [new(A, 3 * Gib), new(B, Gib)];
        var chosen = new List<SiloAddress>();
        for (var expert = 0; expert < 4; expert++) chosen.Add(await ledger.Choose(Key(expert), Gib, candidates));
        Assert.Equal(3, chosen.Count(s => s.Equals(A)));
        Assert.Equal(1, chosen.Count(s => s.Equals(B)));
    }

    [Fact]
    public async Task AskingAgainForAPlacedReplicaGivesTheSameSiloWhileItIsACandidate()
    {
        var ledger = NewLedger();
        var placed = await ledger.Choose(Key(5), Gib, Candidates(A, B));
        // A racing second activation of the same grain must agree with the first, even when the other silo is emptier now.
        for (var expert = 6; expert < 9; expert++) await ledger.Choose(Key(expert), Gib, Candidates(placed));
        Assert.Equal(placed, await ledger.Choose(Key(5), Gib, Candidates(A, B)));
        // Its silo gone (not a candidate), it is placed anew on one that is.
        var other = placed.Equals(A) ? B : A;
        Assert.Equal(other, await ledger.Choose(Key(5), Gib, Candidates(other)));
    }

    [Fact]
    public async Task AReleasedReplicaNoLongerCountsAgainstItsSilo()
    {
        var ledger = NewLedger();
        Assert.Equal(A, await ledger.Choose(Key(0), Gib, Candidates(A)));
        // B is empty, A holds expert 0: expert 1 goes to B ...
        Assert.Equal(B, await ledger.Choose(Key(1), Gib, Candidates(A, B)));
        // ... and once expert 0 is released from A (a release naming another silo is ignored), expert 2 goes to A.
        await ledger.Release(Key(0), B);
        await ledger.Release(Key(0), A);
        Assert.Equal(A, await ledger.Choose(Key(2), Gib, Candidates(A, B)));
    }

    [Fact]
    public async Task ACordonedSiloTakesNoReplicaAndWithOnlyCordonedSilosChoosingFailsNamingTheExpert()
    {
        var ledger = NewLedger();
        await ledger.Cordon(A);
        for (var expert = 0; expert < 4; expert++) Assert.Equal(B, await ledger.Choose(Key(expert), Gib, Candidates(A, B)));
        var error = await Assert.ThrowsAsync<OrleansException>(() => ledger.Choose(Key(9), Gib, Candidates(A)));
        Assert.Contains("every live expert silo is draining", error.Message);
        Assert.Contains(Key(9).ToString(), error.Message);
        var lease = await ledger.ClaimRebalance("gateway-1", TimeSpan.FromSeconds(10));
        Assert.Equal([A], lease.Cordoned);
    }

    [Fact]
    public async Task OneGatewayAtATimeHoldsTheMoveLeaseUntilItLapses()
    {
        var ledger = NewLedger();
        await ledger.Release(Key(0), A); // activates the grain (nothing to release), so the lease's clock starts warm
        Assert.True((await ledger.ClaimRebalance("gateway-1", TimeSpan.FromSeconds(2))).Granted);
        Assert.False((await ledger.ClaimRebalance("gateway-2", TimeSpan.FromSeconds(10))).Granted);
        // Its holder renews it; a shorter claim by the holder does not shorten it.
        Assert.True((await ledger.ClaimRebalance("gateway-1", TimeSpan.FromMilliseconds(1))).Granted);
        Assert.False((await ledger.ClaimRebalance("gateway-2", TimeSpan.FromSeconds(10))).Granted);
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        Assert.True((await ledger.ClaimRebalance("gateway-2", TimeSpan.FromSeconds(10))).Granted);
        Assert.False((await ledger.ClaimRebalance("gateway-1", TimeSpan.FromSeconds(10))).Granted);
    }
}
