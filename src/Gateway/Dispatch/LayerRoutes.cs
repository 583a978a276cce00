namespace Rex.Gateway.Dispatch;

/// <summary>
/// The replicas one layer's dispatch may plan on: one <see cref="RoutingTable"/> (taken once, so the whole layer is
/// planned against one view) and the health of the silos in it.
/// </summary>
public readonly struct LayerRoutes(RoutingTable table, int layer, SiloHealth health)
{
    /// <summary>See <see cref="RoutingTable.Routable"/>.</summary>
    public IReadOnlyList<ReplicaRoute> Routable(int expert) => table.Routable(layer, expert, health);
}
