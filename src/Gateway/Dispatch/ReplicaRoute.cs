using Rex.Protos.Grains;

namespace Rex.Gateway.Dispatch;

/// <summary>
/// One expert replica as the dispatcher sees it: where its silo's data plane is (empty while it is not placed), and
/// how many of its rows are in flight. Immutable: when the expert moves, the directory publishes a new
/// <see cref="RoutingTable"/> holding a new route with the same <see cref="ReplicaLoad"/>.
/// </summary>
public sealed class ReplicaRoute(ExpertGrainKey key, string dataPlane, ReplicaLoad load)
{
    public ReplicaRoute(ExpertGrainKey key, string dataPlane)
        : this(key, dataPlane, new ReplicaLoad())
    {
    }

    public ExpertGrainKey Key { get; } = key;

    public string DataPlane { get; } = dataPlane;

    public bool IsPlaced => DataPlane.Length > 0;

    public long Outstanding => load.Outstanding;

    public void AddOutstanding(long rows) => load.Add(rows);

    /// <summary>The same replica at `dataPlane` (this route when it is already there).</summary>
    public ReplicaRoute At(string dataPlane) => dataPlane == DataPlane ? this : new ReplicaRoute(Key, dataPlane, load);
}
