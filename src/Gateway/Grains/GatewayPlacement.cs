using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;
using Rex.Silo.Hosting;

namespace Rex.Gateway.Grains;

/// <summary>Places gateway grains on silos with the gateway role, the calling silo first (its API is the front door).</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class GatewayPlacementStrategy : PlacementStrategy;

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class GatewayPlacementAttribute() : PlacementAttribute(new GatewayPlacementStrategy());

public sealed class GatewayPlacementDirector(ISiloMetadataCache metadata) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var gateways = context.GetCompatibleSilos(target)
            .Where(silo => SiloRoles.Has(metadata.GetSiloMetadata(silo), SiloRoles.Gateway))
            .OrderBy(silo => silo.ToString(), StringComparer.Ordinal)
            .ToArray();
        if (gateways.Length == 0)
            throw new OrleansException($"no live silo has the '{SiloRoles.Gateway}' role to host {target.GrainIdentity}");
        return Task.FromResult(gateways.Contains(context.LocalSilo) ? context.LocalSilo : gateways[0]);
    }
}
