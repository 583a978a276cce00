using Orleans.Runtime;
using Rex.Protos.Grains;
using Rex.Silo.Experts;

namespace Rex.Gateway.Grains;

/// <summary>
/// This gateway silo's own gateway grain, keyed by the silo's address. Every gateway silo runs its own engine (its
/// own batches, scheduler and KV cache) over the shared expert silos, so gateway replicas behind one Service each
/// serve their own connections, and losing one loses only the requests it was running. A gateway that restarts has
/// a new address and starts a fresh engine.
/// </summary>
public sealed class LocalGateway(IGrainFactory grains, ModelCatalog catalog, ILocalSiloDetails silo)
{
    public IGatewayGrain Grain => grains.GetGrain<IGatewayGrain>(GatewayGrain.KeyOf(catalog.Name, silo.SiloAddress.ToParsableString()));
}
