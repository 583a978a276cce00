namespace Rex.Gateway.Dispatch;

/// <summary>The rows one expert replica runs in one message, with each row's router weight for that expert.</summary>
public sealed class SlicePlan
{
    public ReplicaRoute Route { get; private set; } = null!;

    /// <summary>Positions in the message's <see cref="SiloMessagePlan.Rows"/>.</summary>
    public List<int> LocalRows { get; } = [];

    public List<float> Weights { get; } = [];

    internal void Reset(ReplicaRoute route)
    {
        Route = route;
        LocalRows.Clear();
        Weights.Clear();
    }
}
