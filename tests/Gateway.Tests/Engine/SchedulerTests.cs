using Rex.Gateway.Engine;
using Rex.Model.Engine;
using Rex.Model.Sampling;
using Rex.Model.Tokenization;

namespace Rex.Gateway.Tests.Engine;

public sealed class SchedulerTests
{
    static EngineRequest Request(int promptTokens, CancellationToken cancellation = default) =>
        new(new Sequence(Enumerable.Repeat(1, promptTokens).ToArray(), new SamplingParams(), [0], DbrxTokenizer.Default, 1000), cancellation);

    [Fact]
    public void AdmitsFirstComeFirstServedWithinTheTokenBudgetAndDecodesEveryRunningSequence()
    {
        var scheduler = new Scheduler(maxNumSeqs: 8, maxNumBatchedTokens: 10);
        var (a, b, c) = (Request(4), Request(5), Request(3));
        scheduler.Add(a);
        scheduler.Add(b);
        scheduler.Add(c);
        var first = scheduler.Schedule();
        Assert.Equal([a, b], first.Prefills); // c would make 12 tokens
        Assert.Empty(first.Decodes);
        var second = scheduler.Schedule();
        Assert.Equal([c], second.Prefills); // 2 decode tokens + 3
        Assert.Equal([a, b], second.Decodes);
    }

    [Fact]
    public void MaxNumSeqsBoundsTheRunningSet()
    {
        var scheduler = new Scheduler(maxNumSeqs: 2, maxNumBatchedTokens: 100);
        var requests = Enumerable.Range(0, 3).Select(_ => Request(1)).ToArray();
        foreach (var r in requests) scheduler.Add(r);
        Assert.Equal(2, scheduler.Schedule().Prefills.Count);
        Assert.Empty(scheduler.Schedule().Prefills);
        scheduler.Retire(requests[0]);
        Assert.Equal([requests[2]], scheduler.Schedule().Prefills);
    }

    [Fact]
    public void CancelledRequestsLeaveTheScheduleAndAreCancelled()
    {
        using var cancel = new CancellationTokenSource();
        var scheduler = new Scheduler(8, 100);
        var (running, waiting) = (Request(2, cancel.Token), Request(2, cancel.Token));
        scheduler.Add(running);
        scheduler.Schedule();
        scheduler.Add(waiting);
        cancel.Cancel();
        var step = scheduler.Schedule();
        Assert.Equal([running, waiting], step.Cancelled);
        Assert.Empty(step.All);
        Assert.True(running.Result.IsCanceled && waiting.Result.IsCanceled);
        Assert.True(scheduler.IsIdle);
    }
}
