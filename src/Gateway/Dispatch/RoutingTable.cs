using Rex.Protos.Grains;

namespace Rex.Gateway.Dispatch;

/// <summary>
/// Where every expert replica of the served model is, at one moment. Immutable: <see cref="ExpertDirectory"/> builds a
/// new table for every change and publishes it with one reference write, so a dispatch that took a table plans a
/// whole layer against one consistent view while refreshes and mark-downs go on. The placed replicas of each expert
/// are computed once per table, so routing on the steady path (no silo suspect) allocates nothing.
/// </summary>
public sealed class RoutingTable
{
    readonly ReplicaRoute[][][] routes; // [layer][expert][replica]; a dense layer has no experts
    readonly ReplicaRoute[][][] placed; // [layer][expert][placed replicas, in replica order]
    readonly bool[] isUnplaced; // [layer]

    public RoutingTable(ReplicaRoute[][][] routes)
    {
        this.routes = routes;
        placed = new ReplicaRoute[routes.Length][][];
        isUnplaced = new bool[routes.Length];
        for (var layer = 0; layer < routes.Length; layer++)
        {
            placed[layer] = new ReplicaRoute[routes[layer].Length][];
            for (var expert = 0; expert < routes[layer].Length; expert++)
            {
                placed[layer][expert] = Array.FindAll(routes[layer][expert], r => r.IsPlaced);
                NumPlaced += placed[layer][expert].Length;
            }
            // A MoE layer none of whose experts has a placed replica: no step can pass it.
            isUnplaced[layer] = routes[layer].Length > 0 && Array.TrueForAll(placed[layer], p => p.Length == 0);
        }
    }

    public int NumLayers => routes.Length;

    /// <summary>Replicas with a known data-plane address.</summary>
    public int NumPlaced { get; }

    /// <summary>Every replica, layer by layer, expert by expert, replica by replica.</summary>
    public IEnumerable<ReplicaRoute> All => routes.SelectMany(layer => layer.SelectMany(expert => expert));

    public bool IsUnplaced(int layer) => isUnplaced[layer];

    /// <summary>The replica's route in this table.</summary>
    public ReplicaRoute Route(ExpertGrainKey key) => routes[key.Layer][key.Expert][key.Replica];

    /// <summary>
    /// The placed replicas of one expert on silos in routing: those that have answered since their last missed
    /// deadline first; suspect ones only when the expert has no other.
    /// </summary>
    public IReadOnlyList<ReplicaRoute> Replicas(int layer, int expert, SiloHealth health)
    {
        var candidates = placed[layer][expert];
        return health.NumSuspect == 0 ? candidates : InRouting(candidates, health);
    }

    // The gray-failure path: some silo missed a deadline. Filtering allocates (so does its lambdas' capture of
    // `health`, which is why this is a method of its own); the steady path above does not.
    static ReplicaRoute[] InRouting(ReplicaRoute[] candidates, SiloHealth health)
    {
        var live = Array.FindAll(candidates, r => !health.IsOut(r.DataPlane));
        var answering = Array.FindAll(live, r => !health.IsSuspect(r.DataPlane));
        return answering.Length > 0 ? answering : live;
    }

    /// <summary>
    /// Where a dispatch may plan an expert's rows: <see cref="Replicas"/>; while none is placed (its last silo was
    /// lost) every replica unplaced, and a message to an unplaced replica is not sent but waits for its placement;
    /// none when every placed replica's silo is out of routing (it stalled): those rows fail at once.
    /// </summary>
    public IReadOnlyList<ReplicaRoute> Routable(int layer, int expert, SiloHealth health) =>
        Replicas(layer, expert, health) is { Count: > 0 } live ? live
        : placed[layer][expert].Length > 0 ? []
        : routes[layer][expert];

    /// <summary>This table with each replica's route replaced by `change`'s (this table when nothing changed).</summary>
    public RoutingTable With(Func<ReplicaRoute, ReplicaRoute> change)
    {
        var isChanged = false;
        var changed = Array.ConvertAll(routes, layer => Array.ConvertAll(layer, expert => Array.ConvertAll(expert, route =>
        {
            var next = change(route);
            isChanged |= !ReferenceEquals(next, route);
            return next;
        })));
        return isChanged ? new RoutingTable(changed) : this;
    }
}
