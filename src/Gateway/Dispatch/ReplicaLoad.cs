namespace Rex.Gateway.Dispatch;

/// <summary>
/// The rows in flight to one expert replica: the "outstanding work" load balancing minimises. One per replica for the
/// directory's lifetime, shared by every <see cref="RoutingTable"/> that routes to it, so a table swapped in while
/// rows are away still sees them.
/// </summary>
public sealed class ReplicaLoad
{
    long outstanding;

    public long Outstanding => Interlocked.Read(ref outstanding);

    public void Add(long rows) => Interlocked.Add(ref outstanding, rows);
}
