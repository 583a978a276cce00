using Rex.Gateway.Cache;

namespace Rex.Gateway.Engine;

/// <summary>One sequence's part of a step: `NumNewTokens` of its tokens from `NumComputedTokens` on.</summary>
public sealed record ScheduledWork(EngineRequest Request, int NumNewTokens)
{
    /// <summary>The step reaches the sequence's last token, so its logits pick the next one (a mid-prompt chunk does not).</summary>
    public bool IsSampled => Request.NumComputedTokens + NumNewTokens == Request.Sequence.NumTokens;

    /// <summary>Prompt tokens (or a preempted sequence's recomputation), not the one token of a decode step.</summary>
    public bool IsPrefill => Request.Sequence.OutputIds.Count == 0 || Request.NumComputedTokens + 1 < Request.Sequence.NumTokens;
}

/// <summary>One step's work, and the requests whose callers gave up, now out of the schedule with their blocks freed.</summary>
public sealed record ScheduledStep(IReadOnlyList<ScheduledWork> Work, IReadOnlyList<EngineRequest> Cancelled);

/// <summary>
/// Iteration-level (continuous) batching with chunked prefill, first come first served, as vLLM's V1 scheduler:
/// every step spends a budget of `MaxNumBatchedTokens` on the running sequences first (one token each when
/// decoding, the rest of a long prompt in chunks), then admits waiting ones while `MaxNumSeqs` allows. When KV
/// blocks run out, the latest-admitted running sequence is preempted: its blocks are freed and it waits at the
/// front of the queue to be recomputed (prompt and output so far) later. Pure bookkeeping: no tensors.
/// </summary>
public sealed class Scheduler(int maxNumSeqs, int maxNumBatchedTokens, BlockManager blocks)
{
    readonly LinkedList<EngineRequest> waiting = new();
    readonly List<EngineRequest> running = [];

    public bool IsIdle => waiting.Count == 0 && running.Count == 0;
    public int NumRunning => running.Count;
    public int NumWaiting => waiting.Count;
    public long NumPreemptions { get; private set; }

    public void Add(EngineRequest request) => waiting.AddLast(request);

    /// <summary>Takes out every waiting or running request whose caller gave up, frees its blocks and cancels it.</summary>
    public List<EngineRequest> RemoveCancelled()
    {
        var cancelled = Remove(r => r.Cancellation.IsCancellationRequested);
        foreach (var request in cancelled) request.Cancel();
        return cancelled;
    }

    /// <summary>Takes out every waiting or running request that matches and frees its blocks; the caller ends them.</summary>
    public List<EngineRequest> Remove(Func<EngineRequest, bool> matches)
    {
        var removed = running.Where(matches).ToList();
        running.RemoveAll(removed.Contains);
        for (var node = waiting.First; node is not null;)
        {
            var next = node.Next;
            if (matches(node.Value))
            {
                removed.Add(node.Value);
                waiting.Remove(node);
            }
            node = next;
        }
        foreach (var request in removed) blocks.Free(request.BlockTable);
        return removed;
    }

    public ScheduledStep Schedule()
    {
        var cancelled = RemoveCancelled();
        var work = new List<ScheduledWork>();
        var budget = maxNumBatchedTokens;
        var preempted = false;
        for (var i = 0; i < running.Count && budget > 0; i++)
        {
            var request = running[i];
            var n = Math.Min(request.NumUncomputedTokens, budget);
            while (!blocks.CanAllocate(request.BlockTable, request.NumComputedTokens + n) && running.Count > i)
            {
                Preempt(running[^1]);
                preempted = true;
            }
            if (running.Count <= i) break; // the request preempted itself: nothing else could make room
            blocks.Allocate(request.BlockTable, request.NumComputedTokens + n);
            work.Add(new ScheduledWork(request, n));
            budget -= n;
        }
        // After a preemption the cache is full: admitting now would only preempt again.
        while (!preempted && budget > 0 && running.Count < maxNumSeqs && waiting.First is { } node)
        {
            var request = node.Value;
            var sequence = request.Sequence;
            if (request.BlockTable.Count == 0)
            {
                request.NumComputedTokens = blocks.AcquireCachedPrefix(request.BlockTable, sequence.TokenAt, sequence.NumTokens);
                if (!request.HasStarted) request.NumCachedPromptTokens = request.NumComputedTokens;
            }
            var n = Math.Min(request.NumUncomputedTokens, budget);
            if (!blocks.CanAllocate(request.BlockTable, request.NumComputedTokens + n))
            {
                blocks.Free(request.BlockTable);
                request.NumComputedTokens = 0;
                break;
            }
            blocks.Allocate(request.BlockTable, request.NumComputedTokens + n);
            waiting.RemoveFirst();
            running.Add(request);
            request.HasStarted = true;
            request.LeaveQueue();
            work.Add(new ScheduledWork(request, n));
            budget -= n;
        }
        return new ScheduledStep(work, cancelled);
    }

    /// <summary>After the step ran: its tokens are in the cache (and full blocks in the prefix cache).</summary>
    public void Advance(ScheduledStep step)
    {
        foreach (var (request, n) in step.Work)
        {
            request.NumComputedTokens += n;
            blocks.CacheFullBlocks(request.BlockTable, request.Sequence.TokenAt, request.NumComputedTokens);
        }
    }

    /// <summary>Removes a finished or failed request and frees its blocks.</summary>
    public void Retire(EngineRequest request)
    {
        running.Remove(request);
        blocks.Free(request.BlockTable);
    }

    /// <summary>Empties the scheduler (on shutdown), freeing every block and returning everything it held.</summary>
    public IReadOnlyList<EngineRequest> TakeAll()
    {
        var all = waiting.Concat(running).ToArray();
        foreach (var request in all) blocks.Free(request.BlockTable);
        waiting.Clear();
        running.Clear();
        return all;
    }

    void Preempt(EngineRequest request)
    {
        running.Remove(request);
        blocks.Free(request.BlockTable);
        request.NumComputedTokens = 0;
        waiting.AddFirst(request);
        NumPreemptions++;
    }
}
