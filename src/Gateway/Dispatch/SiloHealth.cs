using System.Collections.Concurrent;

namespace Rex.Gateway.Dispatch;

/// <summary>
/// Which expert silos missed their data-plane deadline, by data-plane address: a silo that missed one is suspect
/// (routing prefers its experts' other replicas), one that missed `SuspectAfterMissedDeadlines` in a row is out of
/// routing altogether. Any reply from the silo (a late one, a probe's) puts it back at once. Pure bookkeeping: a
/// stalled process (SIGSTOP, a long pause) keeps its connection and its Orleans membership for seconds, so only the
/// data plane's own clock notices it.
/// </summary>
public sealed class SiloHealth(int suspectAfterMissedDeadlines, DispatchCounters counters)
{
    // Read lock-free on every routing decision; changed under the gate, so the count always matches it.
    readonly ConcurrentDictionary<string, int> missed = new();
    readonly Lock gate = new();
    volatile int numSuspect;

    /// <summary>Deadlines a silo misses in a row before it is out of routing.</summary>
    public int SuspectAfterMissedDeadlines => suspectAfterMissedDeadlines;

    /// <summary>Silos that missed a deadline and have not answered since.</summary>
    public int NumSuspect => numSuspect;

    public bool IsSuspect(string dataPlane) => missed.ContainsKey(dataPlane);

    public bool IsOut(string dataPlane) => missed.TryGetValue(dataPlane, out var count) && count >= suspectAfterMissedDeadlines;

    /// <summary>The silo missed a deadline; true when this made it suspect (it was not before).</summary>
    public bool Missed(string dataPlane)
    {
        counters.CountDeadlineMiss();
        lock (gate)
        {
            var count = missed.AddOrUpdate(dataPlane, 1, (_, c) => c + 1);
            Recount();
            return count == 1;
        }
    }

    /// <summary>The silo answered: back in routing.</summary>
    public void Answered(string dataPlane)
    {
        // Every reply comes through here: the usual case, a silo never suspected, takes no lock.
        if (!missed.ContainsKey(dataPlane)) return;
        lock (gate)
            if (missed.TryRemove(dataPlane, out _)) Recount();
    }

    // The dictionary's Count takes all its locks: once per change, not per routing decision.
    void Recount()
    {
        numSuspect = missed.Count;
        counters.SetSuspectSilos(numSuspect);
    }

    /// <summary>The silo's address left the directory (its stream broke, its experts moved): nothing to watch.</summary>
    public void Forget(string dataPlane) => Answered(dataPlane);
}
