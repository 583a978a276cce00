using Rex.Protos.Api;

namespace Rex.Cli.Bench;

/// <summary>
/// Where a gateway's steps spent their time during a bench run, in seconds: the change in its step profile. The
/// timed phases run one after another on the engine thread; <see cref="HostOverhead"/> is what they leave of
/// <see cref="Total"/>, and <see cref="ExpertWait"/> splits into <see cref="Network"/> and <see cref="WaitedOnCompute"/>.
/// <see cref="ExpertCompute"/> is what the silos reported, also where it overlapped the gateway's work, so it is
/// no share of the total. <see cref="StepBytes"/> is what the steps must read at least (DecodeRoofline).
/// </summary>
internal sealed record StepPhases(long Steps, double Attention, double Router, double LocalFeedForward, double Serialize, double Dispatch,
    double ExpertWait, double Network, double ExpertCompute, double Combine, double Sampling, double Total, double StepBytes)
{
    /// <summary>Of the expert wait, the part the slowest silo's compute explains.</summary>
    public double WaitedOnCompute => ExpertWait - Network;

    /// <summary>The rest of the steps: embedding, residual adds, KV cache views, the step's bookkeeping.</summary>
    public double HostOverhead => Total - (Attention + Router + LocalFeedForward + Serialize + Dispatch + ExpertWait + Combine + Sampling);

    public static StepPhases Between(StepProfile before, StepProfile after) => new(after.Steps - before.Steps,
        after.AttentionSeconds - before.AttentionSeconds, after.RouterSeconds - before.RouterSeconds,
        after.LocalFeedForwardSeconds - before.LocalFeedForwardSeconds,
        after.SerializeSeconds - before.SerializeSeconds, after.DispatchSeconds - before.DispatchSeconds,
        after.ExpertWaitSeconds - before.ExpertWaitSeconds, after.NetworkSeconds - before.NetworkSeconds,
        after.ExpertComputeSeconds - before.ExpertComputeSeconds, after.CombineSeconds - before.CombineSeconds,
        after.SamplingSeconds - before.SamplingSeconds, after.TotalSeconds - before.TotalSeconds, after.StepBytes - before.StepBytes);

    /// <summary>The bytes the steps must read over their time: the bandwidth they reached (GB/s).</summary>
    public double AchievedBandwidthGbs => StepBytes / Math.Max(Total, 1e-9) / 1e9;

    /// <summary>One line: the mean step and each phase's share of it.</summary>
    public override string ToString()
    {
        string Share(double seconds) => $"{100 * seconds / Math.Max(Total, 1e-9):F0}%";
        return $"{Steps} steps, {1000 * Total / Math.Max(Steps, 1):F2} ms each: attention {Share(Attention)}, router {Share(Router)}, " +
            $"shared expert or dense MLP {Share(LocalFeedForward)}, " +
            $"serialize {Share(Serialize)}, dispatch {Share(Dispatch)}, waiting for experts {Share(ExpertWait)} " +
            $"(network {Share(Network)}, silo compute {Share(WaitedOnCompute)}), combine {Share(Combine)}, sampling {Share(Sampling)}, " +
            $"host overhead {Share(HostOverhead)}";
    }
}
