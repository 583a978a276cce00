using Rex.Protos.Grains;

namespace Rex.Gateway.Dispatch;

/// <summary>
/// What the dispatcher has sent (over the wire, and to the expert silo in its own process), what its capacity limits did, how many replicas the rebalancer moved, and how
/// the data-plane deadline fared (misses, rows resent, rows no replica could answer, silos suspect now, the deadline
/// in force), since start.
/// </summary>
public sealed class DispatchCounters
{
    long messages, rowsSent, inProcessMessages, inProcessRows, rerouted, deferred, dropped, moves, deadlineMisses, resentRows, unavailableRows;
    int suspectSilos;
    long expertDeadlineTicks;

    public void Count(DispatchPlan plan)
    {
        Interlocked.Add(ref rerouted, plan.ReroutedSlots);
        Interlocked.Add(ref deferred, plan.DeferredSlots);
        Interlocked.Add(ref dropped, plan.DroppedSlots);
    }

    public void CountMessage(int rows)
    {
        Interlocked.Increment(ref messages);
        Interlocked.Add(ref rowsSent, rows);
    }

    /// <summary>A message to the expert silo in this process: its rows stayed a tensor (no serialization, no gRPC).</summary>
    public void CountInProcessMessage(int rows)
    {
        Interlocked.Increment(ref inProcessMessages);
        Interlocked.Add(ref inProcessRows, rows);
    }

    public void CountMove() => Interlocked.Increment(ref moves);

    public void CountDeadlineMiss() => Interlocked.Increment(ref deadlineMisses);

    public void CountResent(int rows) => Interlocked.Add(ref resentRows, rows);

    public void CountUnavailable(int rows) => Interlocked.Add(ref unavailableRows, rows);

    public void SetSuspectSilos(int count) => Volatile.Write(ref suspectSilos, count);

    public void SetExpertDeadline(TimeSpan deadline) => Interlocked.Exchange(ref expertDeadlineTicks, deadline.Ticks);

    public DispatchCounterSnapshot Snapshot() => new(
        Interlocked.Read(ref messages), Interlocked.Read(ref rowsSent), Interlocked.Read(ref rerouted),
        Interlocked.Read(ref deferred), Interlocked.Read(ref dropped), Interlocked.Read(ref moves),
        Interlocked.Read(ref deadlineMisses), Interlocked.Read(ref resentRows), Interlocked.Read(ref unavailableRows),
        Volatile.Read(ref suspectSilos), TimeSpan.FromTicks(Interlocked.Read(ref expertDeadlineTicks)).TotalMilliseconds,
        Interlocked.Read(ref inProcessMessages), Interlocked.Read(ref inProcessRows));
}
