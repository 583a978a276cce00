using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;
using Rex.Protos.Grains;
using Rex.Silo.Experts;
using Rex.Silo.Hosting;

namespace Rex.Silo.Placement;

/// <summary>
/// Chooses the silo for a new expert activation: only live silos whose metadata carries the expert role, and
/// among them the one the placement ledger finds least loaded by memory and count (replicas of one expert on
/// different silos), or the silo a migration names. Never a silo without the expert role: with none alive,
/// activation fails and is retried.
/// </summary>
public sealed class ExpertPlacementDirector(ISiloMetadataCache metadata, IGrainFactory grains, ModelCatalog catalog) : IPlacementDirector
{
    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var candidates = context.GetCompatibleSilos(target)
            .Select(silo => (Silo: silo, Metadata: metadata.GetSiloMetadata(silo)))
            .Where(s => SiloRoles.Has(s.Metadata, SiloRoles.Expert))
            .Select(s => new ExpertSiloCandidate(s.Silo, SiloRoles.ExpertMemoryBytes(s.Metadata)))
            .ToArray();
        if (candidates.Length == 0)
            throw new OrleansException($"no live silo has the '{SiloRoles.Expert}' role to host {target.GrainIdentity}");
        var key = ExpertGrainKey.Parse(target.GrainIdentity.Key.ToString()!);
        var bytes = ExpertBytes.Of(catalog.Get(key.Model).Config, catalog.DType);
        // A migration names its target silo: honour it when that silo can host experts (the ledger still records it).
        if (IPlacementDirector.GetPlacementHint(target.RequestContextData, [.. candidates.Select(c => c.Silo)]) is { } hint)
            candidates = [.. candidates.Where(c => c.Silo.Equals(hint))];
        return await grains.GetGrain<IExpertPlacementGrain>(IExpertPlacementGrain.LedgerKey).Choose(key, bytes, candidates);
    }
}
