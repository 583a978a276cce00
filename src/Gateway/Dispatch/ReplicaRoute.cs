using Rex.Protos.Grains;

namespace Rex.Gateway.Dispatch;

/// <summary>
/// One expert replica as the dispatcher sees it: where its silo's data plane is, and how many of its rows are in
/// flight (the "outstanding work" load balancing minimises). The address changes when the expert moves.
/// </summary>
public sealed class ReplicaRoute(ExpertGrainKey key, string dataPlane)
{
    long outstanding;

    public ExpertGrainKey Key { get; } = key;

    public string DataPlane { get; set; } = dataPlane;

    public long Outstanding => Interlocked.Read(ref outstanding);

    public void AddOutstanding(long rows) => Interlocked.Add(ref outstanding, rows);
}
