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
}

/// <summary>A live silo with the expert role and the bytes it offers for expert weights.</summary>
[GenerateSerializer, Immutable, Alias("rex.ExpertSiloCandidate")]
public sealed record ExpertSiloCandidate([property: Id(0)] SiloAddress Silo, [property: Id(1)] long CapacityBytes);
