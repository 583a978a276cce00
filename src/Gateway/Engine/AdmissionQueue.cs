namespace Rex.Gateway.Engine;

/// <summary>
/// Bounds the requests waiting for their first step (`MaxQueuedRequests`): beyond it a new request is turned away
/// at once rather than left to wait without end. Thread-safe: callers enter, the engine's requests leave.
/// </summary>
public sealed class AdmissionQueue(int maxQueuedRequests)
{
    int numQueued;
    long numRejected;

    public int NumQueued => Volatile.Read(ref numQueued);

    public long NumRejected => Interlocked.Read(ref numRejected);

    public bool TryEnter()
    {
        if (Interlocked.Increment(ref numQueued) <= maxQueuedRequests) return true;
        Interlocked.Decrement(ref numQueued);
        Interlocked.Increment(ref numRejected);
        return false;
    }

    public void Leave() => Interlocked.Decrement(ref numQueued);
}
