using Rex.Protos.Grains;

namespace Rex.Gateway.Dispatch;

/// <summary>One message to one silo: the rows it needs (indices into the layer's rows) and a slice per replica.</summary>
public sealed class SiloMessagePlan(string dataPlane)
{
    readonly Dictionary<int, int> localOf = [];
    // By key, not route: a resend may regroup routes of two routing tables into one message.
    readonly Dictionary<ExpertGrainKey, SlicePlan> sliceOf = [];
    readonly List<SlicePlan> slices = [];
    readonly Stack<SlicePlan> spareSlices = new();

    public string DataPlane { get; private set; } = dataPlane;

    public List<int> Rows { get; } = [];

    /// <summary>In the order their replicas were first added.</summary>
    public IReadOnlyList<SlicePlan> Slices => slices;

    public bool Holds(int row) => localOf.ContainsKey(row);

    public int RowsOf(ReplicaRoute replica) => sliceOf.TryGetValue(replica.Key, out var slice) ? slice.LocalRows.Count : 0;

    public void Add(ReplicaRoute replica, int row, float weight)
    {
        if (!localOf.TryGetValue(row, out var local))
        {
            local = Rows.Count;
            localOf[row] = local;
            Rows.Add(row);
        }
        if (!sliceOf.TryGetValue(replica.Key, out var slice))
        {
            slice = spareSlices.TryPop(out var reused) ? reused : new SlicePlan();
            slice.Reset(replica);
            sliceOf[replica.Key] = slice;
            slices.Add(slice);
        }
        slice.LocalRows.Add(local);
        slice.Weights.Add(weight);
    }

    /// <summary>Empties the message for reuse toward `dataPlane`, keeping what it allocated.</summary>
    internal void Reset(string dataPlane)
    {
        DataPlane = dataPlane;
        Rows.Clear();
        localOf.Clear();
        sliceOf.Clear();
        foreach (var slice in slices) spareSlices.Push(slice);
        slices.Clear();
    }
}
