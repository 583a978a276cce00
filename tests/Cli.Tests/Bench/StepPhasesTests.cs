using Rex.Cli.Bench;
using Rex.Protos.Api;

namespace Rex.Cli.Tests.Bench;

public sealed class StepPhasesTests
{
    static StepProfile Profile(long steps, double scale) => new()
    {
        Steps = steps,
        AttentionSeconds = 1 * scale,
        RouterSeconds = 0.25 * scale,
        SerializeSeconds = 0.5 * scale,
        DispatchSeconds = 0.75 * scale,
        ExpertWaitSeconds = 3 * scale,
        NetworkSeconds = 2 * scale,
        ExpertComputeSeconds = 1.5 * scale,
        CombineSeconds = 0.5 * scale,
        SamplingSeconds = 1 * scale,
        TotalSeconds = 8 * scale,
    };

    [Fact]
    public void ARunIsTheChangeInTheProfileAndItsPhasesAddUpToItsTotal()
    {
        var run = StepPhases.Between(Profile(10, 1), Profile(30, 3));
        Assert.Equal(20, run.Steps);
        Assert.Equal((2, 0.5, 6, 4, 3, 16), (run.Attention, run.Router, run.ExpertWait, run.Network, run.ExpertCompute, run.Total));
        // The expert wait is network plus the compute waited on (not all that was reported: 3 of it overlapped).
        Assert.Equal(2, run.WaitedOnCompute);
        Assert.Equal(2, run.HostOverhead);
        Assert.Equal(run.Total, run.Attention + run.Router + run.Serialize + run.Dispatch + run.Network + run.WaitedOnCompute + run.Combine
            + run.Sampling + run.HostOverhead);
    }
}
