using Rex.Protos.Grains;

namespace Rex.Gateway.Dispatch;

/// <summary>What the dispatcher has sent, what its capacity limits did and how many replicas the rebalancer moved, since start.</summary>
public sealed class DispatchCounters
{
    long messages, rowsSent, rerouted, deferred, dropped, moves;

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

    public void CountMove() => Interlocked.Increment(ref moves);

    public DispatchCounterSnapshot Snapshot() => new(
        Interlocked.Read(ref messages), Interlocked.Read(ref rowsSent), Interlocked.Read(ref rerouted),
        Interlocked.Read(ref deferred), Interlocked.Read(ref dropped), Interlocked.Read(ref moves));
}
