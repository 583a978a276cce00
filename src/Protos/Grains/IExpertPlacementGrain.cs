using Orleans.Runtime;

namespace Rex.Protos.Grains;

/// <summary>
/// The placement ledger behind expert placement: which expert replica was placed on which silo, so that
/// concurrent activations spread by memory and count, and replicas of one expert land on different silos.
/// One per cluster (key <see cref="LedgerKey"/>).
/// </summary>
public interface IExpertPlacementGrain : IGrainWithStringKey
{
    const string LedgerKey = "experts";

    /// <summary>Picks the silo for an expert replica among live expert silos and records the choice.</summary>
    Task<SiloAddress> Choose(ExpertGrainKey expert, long bytes, ExpertSiloCandidate[] candidates);

    /// <summary>Forgets a replica that deactivated on a silo.</summary>
    Task Release(ExpertGrainKey expert, SiloAddress silo);

    /// <summary>Places no more replicas on a silo that is draining (it leaves the cluster soon).</summary>
    Task Cordon(SiloAddress silo);

    /// <summary>
    /// Lets one gateway at a time move expert replicas, to rebalance or to repair (two would move the same replicas): granted to
    /// <paramref name="gateway"/> while no other gateway holds the lease, for <paramref name="lease"/> from now. The
    /// answer also names the cordoned silos, which take no replica.
    /// </summary>
    Task<RebalanceLease> ClaimRebalance(string gateway, TimeSpan lease);
}

/// <summary>Whether a gateway may rebalance now, and the silos no replica may move to.</summary>
[GenerateSerializer, Immutable, Alias("rex.RebalanceLease")]
public sealed record RebalanceLease([property: Id(0)] bool Granted, [property: Id(1)] SiloAddress[] Cordoned);

/// <summary>A live silo with the expert role and the bytes it offers for expert weights.</summary>
[GenerateSerializer, Immutable, Alias("rex.ExpertSiloCandidate")]
public sealed record ExpertSiloCandidate([property: Id(0)] SiloAddress Silo, [property: Id(1)] long CapacityBytes);
