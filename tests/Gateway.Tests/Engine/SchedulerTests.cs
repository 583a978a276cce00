using Rex.Gateway.Cache;
using Rex.Gateway.Engine;
using Rex.Model.Engine;
using Rex.Model.Sampling;
using Rex.Model.Tokenization;

namespace Rex.Gateway.Tests.Engine;

public sealed class SchedulerTests
{
    static EngineRequest Request(int promptTokens, CancellationToken cancellation = default, int maxTokens = 16, int firstToken = 1) =>
        new(new Sequence(Enumerable.Range(firstToken, promptTokens).ToArray(), new SamplingParams { MaxTokens = maxTokens, IgnoreEos = true },
            [0], DbrxTokenizer.Default, 1000), cancellation, isStreaming: false);

    // What the engine does after the model ran: the scheduled tokens are computed, sampled sequences grow by one.
    static ScheduledStep Step(Scheduler scheduler)
    {
        var step = scheduler.Schedule();
        var sampled = step.Work.Where(w => w.IsSampled).Select(w => w.Request).ToArray();
        scheduler.Advance(step);
        foreach (var request in sampled)
        {
            request.Sequence.Append(7);
            if (request.Sequence.IsFinished) scheduler.Retire(request);
        }
        return step;
    }

    static (EngineRequest, int)[] Work(ScheduledStep step) => [.. step.Work.Select(w => (w.Request, w.NumNewTokens))];

    [Fact]
    public void SpendsTheTokenBudgetFirstComeFirstServedAndChunksAPromptThatDoesNotFit()
    {
        var blocks = new BlockManager(100, 4, enablePrefixCaching: false);
        var scheduler = new Scheduler(maxNumSeqs: 8, maxNumBatchedTokens: 10, blocks);
        var (a, b, c) = (Request(4), Request(5), Request(3));
        scheduler.Add(a);
        scheduler.Add(b);
        scheduler.Add(c);
        var first = Step(scheduler);
        Assert.Equal([(a, 4), (b, 5), (c, 1)], Work(first)); // c's prompt is chunked: 1 token now
        Assert.Equal([1, 1, 0], [a.Sequence.OutputIds.Count, b.Sequence.OutputIds.Count, c.Sequence.OutputIds.Count]);
        var second = Step(scheduler);
        Assert.Equal([(a, 1), (b, 1), (c, 2)], Work(second)); // decodes, then the rest of c's prompt
        Assert.Single(c.Sequence.OutputIds);
        Assert.Equal(c.Sequence.NumTokens - 1, c.NumComputedTokens);
    }

    [Fact]
    public void MaxNumSeqsBoundsTheRunningSet()
    {
        var scheduler = new Scheduler(maxNumSeqs: 2, maxNumBatchedTokens: 100, new BlockManager(100, 4, false));
        var requests = Enumerable.Range(0, 3).Select(_ => Request(1)).ToArray();
        foreach (var r in requests) scheduler.Add(r);
        Assert.Equal(2, Step(scheduler).Work.Count);
        Assert.Equal(2, Step(scheduler).Work.Count);
        scheduler.Retire(requests[0]);
        Assert.Equal([(requests[1], 1), (requests[2], 1)], Work(Step(scheduler)));
    }

    [Fact]
    public void WhenBlocksRunOutTheLatestRequestIsPreemptedAndLaterRecomputedWithItsOutput()
    {
        // 4 blocks of 2 tokens: two prompts of 3 tokens take 2 blocks each, and so does their first sampled token;
        // the second, needing a third block, preempts the later request.
        var blocks = new BlockManager(4, 2, enablePrefixCaching: false);
        var scheduler = new Scheduler(8, 100, blocks);
        var (a, b) = (Request(3, maxTokens: 4), Request(3, maxTokens: 4));
        scheduler.Add(a);
        scheduler.Add(b);
        Step(scheduler);                      // both prefilled: 3 tokens in 2 blocks each, one token sampled
        Assert.Equal(4, blocks.NumUsedBlocks);
        Assert.Equal([(a, 1), (b, 1)], Work(Step(scheduler)));
        var step = Step(scheduler);           // a needs a block for its 5th token: b is preempted
        Assert.Equal([(a, 1)], Work(step));
        Assert.Equal(1, scheduler.NumPreemptions);
        Assert.Empty(b.BlockTable);
        Assert.Equal(0, b.NumComputedTokens);
        Assert.Equal(1, scheduler.NumWaiting);
        while (!a.Sequence.IsFinished) Step(scheduler);
        var recompute = Step(scheduler);      // b comes back: prompt and its two sampled tokens, in one prefill
        Assert.Equal([(b, 5)], Work(recompute));
        while (!b.Sequence.IsFinished) Step(scheduler);
        Assert.Equal(4, b.Sequence.OutputIds.Count);
        Assert.Equal(0, blocks.NumUsedBlocks);
        Assert.True(scheduler.IsIdle);
    }

    [Fact]
    public void ASharedPrefixIsServedFromTheCache()
    {
        var blocks = new BlockManager(16, 2, enablePrefixCaching: true);
        var scheduler = new Scheduler(8, 100, blocks);
        var first = Request(5, maxTokens: 1);
        scheduler.Add(first);
        Step(scheduler);
        Assert.True(first.Sequence.IsFinished);
        var second = Request(6, maxTokens: 1); // same first 5 tokens (1..5), one more
        scheduler.Add(second);
        var step = Step(scheduler);
        Assert.Equal(4, second.NumCachedPromptTokens); // two full blocks of the first prompt
        Assert.Equal([(second, 2)], Work(step));
        Assert.Equal(4, blocks.PrefixCacheHitTokens);
        Assert.Equal(11, blocks.PrefixCacheQueriedTokens);
    }

    [Fact]
    public void CancelledRequestsLeaveTheScheduleFreeTheirBlocksAndAreCancelled()
    {
        using var cancel = new CancellationTokenSource();
        var blocks = new BlockManager(16, 2, false);
        var scheduler = new Scheduler(8, 100, blocks);
        var (running, waiting) = (Request(3, cancel.Token), Request(2, cancel.Token));
        scheduler.Add(running);
        Step(scheduler);
        scheduler.Add(waiting);
        Assert.Equal(2, blocks.NumUsedBlocks);
        cancel.Cancel();
        var step = scheduler.Schedule();
        Assert.Equal([running, waiting], step.Cancelled);
        Assert.Empty(step.Work);
        Assert.True(running.Result.IsCanceled && waiting.Result.IsCanceled);
        Assert.True(scheduler.IsIdle);
        Assert.Equal(0, blocks.NumUsedBlocks);
    }

    [Fact]
    public void RemovedRequestsLeaveTheScheduleAndFreeTheirBlocksButAreLeftToTheCaller()
    {
        var blocks = new BlockManager(16, 2, false);
        var scheduler = new Scheduler(8, 100, blocks);
        var (running, kept, waiting) = (Request(3), Request(2, firstToken: 50), Request(2, firstToken: 90));
        scheduler.Add(running);
        scheduler.Add(kept);
        Step(scheduler);
        scheduler.Add(waiting);
        Assert.Equal(3, blocks.NumUsedBlocks);

        Assert.Equal([running, waiting], scheduler.Remove(r => r != kept));

        Assert.Equal((1, 0, 1), (scheduler.NumRunning, scheduler.NumWaiting, blocks.NumUsedBlocks));
        Assert.False(running.Result.IsCompleted || waiting.Result.IsCompleted);
    }
}
