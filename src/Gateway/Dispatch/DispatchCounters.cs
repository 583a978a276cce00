using Rex.Protos.Grains;

namespace Rex.Gateway.Dispatch;

/// <summary>What the dispatcher has sent and what its capacity limits did, since start.</summary>
public sealed class DispatchCounters
{
    long messages, rowsSent, rerouted, deferred, dropped;

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

    public DispatchCounterSnapshot Snapshot() => new(
        Interlocked.Read(ref messages), Interlocked.Read(ref rowsSent), Interlocked.Read(ref rerouted),
        Interlocked.Read(ref deferred), Interlocked.Read(ref dropped));
}
