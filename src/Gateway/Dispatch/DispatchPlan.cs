namespace Rex.Gateway.Dispatch;

/// <summary>The rows one expert replica runs in one message, with each row's router weight for that expert.</summary>
public sealed class SlicePlan(ReplicaRoute route)
{
    public ReplicaRoute Route { get; } = route;

    /// <summary>Positions in the message's <see cref="SiloMessagePlan.Rows"/>.</summary>
    public List<int> LocalRows { get; } = [];

    public List<float> Weights { get; } = [];
}

/// <summary>One message to one silo: the rows it needs (indices into the layer's rows) and a slice per replica.</summary>
public sealed class SiloMessagePlan(string dataPlane)
{
    readonly Dictionary<int, int> localOf = [];
    readonly Dictionary<ReplicaRoute, SlicePlan> sliceOf = [];

    public string DataPlane { get; } = dataPlane;

    public List<int> Rows { get; } = [];

    public IEnumerable<SlicePlan> Slices => sliceOf.Values;

    public bool Holds(int row) => localOf.ContainsKey(row);

    public int RowsOf(ReplicaRoute replica) => sliceOf.TryGetValue(replica, out var slice) ? slice.LocalRows.Count : 0;

    public void Add(ReplicaRoute replica, int row, float weight)
    {
        if (!localOf.TryGetValue(row, out var local))
        {
            local = Rows.Count;
            localOf[row] = local;
            Rows.Add(row);
        }
        if (!sliceOf.TryGetValue(replica, out var slice)) sliceOf[replica] = slice = new SlicePlan(replica);
        slice.LocalRows.Add(local);
        slice.Weights.Add(weight);
    }
}

/// <summary>
/// A layer's dispatch: rounds of messages (round r + 1 is sent once round r has answered), what the capacity
/// limits did (slots moved to another replica, deferred to a later round, or dropped), and the slots whose expert
/// has no replica in routing (every silo holding one stalled): their rows cannot be computed.
/// </summary>
public sealed record DispatchPlan(IReadOnlyList<IReadOnlyList<SiloMessagePlan>> Rounds, int ReroutedSlots, int DeferredSlots, int DroppedSlots,
    IReadOnlyList<(int Row, int Expert)> UnavailableSlots);
