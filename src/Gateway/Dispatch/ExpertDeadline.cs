namespace Rex.Gateway.Dispatch;

/// <summary>
/// How long one data-plane message may wait for its reply before its rows go to another replica: `ExpertDeadlineMs`
/// when set, else derived from the round trips observed: max(50 ms, 20 x p99) over the last 256 replies. A short
/// window, so the first replies (connections opening, silos compiling their kernels: a second where a warm reply takes
/// milliseconds) leave it soon. Until 64 replies have been seen there is nothing to derive from, and a message waits
/// the layer's whole `DispatchTimeoutSeconds`.
/// </summary>
public sealed class ExpertDeadline
{
    const int Window = 256;
    const int MinSamples = 64;
    const int RecomputeEvery = 16;
    const double P99Multiple = 20;
    static readonly TimeSpan Floor = TimeSpan.FromMilliseconds(50);

    readonly TimeSpan configured;
    readonly TimeSpan ceiling;
    readonly DispatchCounters counters;
    readonly long[] roundTrips = new long[Window];
    readonly object gate = new();
    long numRecorded;
    long currentTicks;

    /// <param name="configured">`ExpertDeadlineMs`; zero derives it.</param>
    /// <param name="ceiling">`DispatchTimeoutSeconds`: a message never waits longer than its layer may.</param>
    /// <param name="counters">Shows the deadline in force.</param>
    public ExpertDeadline(TimeSpan configured, TimeSpan ceiling, DispatchCounters counters)
    {
        this.configured = configured;
        this.ceiling = ceiling;
        this.counters = counters;
        Set(configured > TimeSpan.Zero ? Min(configured, ceiling) : ceiling);
    }

    public TimeSpan Current => TimeSpan.FromTicks(Interlocked.Read(ref currentTicks));

    public bool IsDerived => configured == TimeSpan.Zero;

    /// <summary>A reply came back after `roundTrip`.</summary>
    public void Record(TimeSpan roundTrip)
    {
        if (!IsDerived) return;
        lock (gate)
        {
            roundTrips[numRecorded % Window] = roundTrip.Ticks;
            numRecorded++;
            if (numRecorded < MinSamples || numRecorded % RecomputeEvery != 0) return;
            // Sorting 256 longs every 16 replies costs microseconds against replies that take milliseconds.
            var window = roundTrips[..(int)Math.Min(numRecorded, Window)];
            Array.Sort(window);
            var p99 = TimeSpan.FromTicks(window[(int)Math.Ceiling(0.99 * window.Length) - 1]);
            Set(Min(Max(Floor, p99 * P99Multiple), ceiling));
        }
    }

    void Set(TimeSpan deadline)
    {
        Interlocked.Exchange(ref currentTicks, deadline.Ticks);
        counters.SetExpertDeadline(deadline);
    }

    static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
