using System.Diagnostics;
using Rex.Protos.Grains;

namespace Rex.Gateway.Engine;

/// <summary>
/// Where the gateway's steps spend their time: attention (with routers) on the gateway, dispatch (plan,
/// serialize, send), waiting for experts (of which the silos report compute), combining partials, sampling.
/// </summary>
public sealed class StepProfiler
{
    public enum Phase
    {
        Attention,
        Dispatch,
        ExpertWait,
        ExpertCompute,
        Combine,
        Sampling,
        Total,
    }

    readonly long[] ticks = new long[Enum.GetValues<Phase>().Length];
    long steps;

    public void Add(Phase phase, long stopwatchTicks) => Interlocked.Add(ref ticks[(int)phase], stopwatchTicks);

    public void AddSeconds(Phase phase, double seconds) => Add(phase, (long)(seconds * Stopwatch.Frequency));

    public void CountStep() => Interlocked.Increment(ref steps);

    public StepProfileSnapshot Snapshot() => new(Interlocked.Read(ref steps), Seconds(Phase.Attention), Seconds(Phase.Dispatch),
        Seconds(Phase.ExpertWait), Seconds(Phase.ExpertCompute), Seconds(Phase.Combine), Seconds(Phase.Sampling), Seconds(Phase.Total));

    double Seconds(Phase phase) => Interlocked.Read(ref ticks[(int)phase]) / (double)Stopwatch.Frequency;
}
