namespace Rex.Gateway.Engine;

/// <summary>
/// One step's work: prompts to prefill and running sequences to decode one token each; and requests whose callers
/// gave up, now out of the schedule, whose caches the engine frees.
/// </summary>
public sealed record ScheduledStep(IReadOnlyList<EngineRequest> Prefills, IReadOnlyList<EngineRequest> Decodes, IReadOnlyList<EngineRequest> Cancelled)
{
    public IEnumerable<EngineRequest> All => Prefills.Concat(Decodes);
}

/// <summary>
/// Iteration-level (continuous) batching, first come first served: every step decodes all running sequences
/// and admits waiting prompts while `MaxNumSeqs` and `MaxNumBatchedTokens` allow. Pure bookkeeping: no tensors.
/// </summary>
public sealed class Scheduler(int maxNumSeqs, int maxNumBatchedTokens)
{
    readonly Queue<EngineRequest> waiting = new();
    readonly List<EngineRequest> running = [];

    public bool IsIdle => waiting.Count == 0 && running.Count == 0;

    public void Add(EngineRequest request) => waiting.Enqueue(request);

    /// <summary>Takes out every waiting or running request whose caller gave up, and cancels it.</summary>
    public List<EngineRequest> RemoveCancelled()
    {
        var cancelled = running.Where(r => r.Cancellation.IsCancellationRequested).ToList();
        running.RemoveAll(cancelled.Contains);
        for (var n = waiting.Count; n > 0; n--)
        {
            var request = waiting.Dequeue();
            if (request.Cancellation.IsCancellationRequested) cancelled.Add(request);
            else waiting.Enqueue(request);
        }
        foreach (var request in cancelled) request.Cancel();
        return cancelled;
    }

    public ScheduledStep Schedule()
    {
        var cancelled = RemoveCancelled();
        var decodes = running.ToList();
        var tokens = decodes.Count;
        var prefills = new List<EngineRequest>();
        while (waiting.TryPeek(out var next) && running.Count < maxNumSeqs)
        {
            if (tokens + next.Sequence.PromptIds.Count > maxNumBatchedTokens) break;
            tokens += next.Sequence.PromptIds.Count;
            prefills.Add(waiting.Dequeue());
            running.Add(prefills[^1]);
        }
        return new ScheduledStep(prefills, decodes, cancelled);
    }

    /// <summary>Empties the scheduler (on shutdown), returning everything it held.</summary>
    public IReadOnlyList<EngineRequest> TakeAll()
    {
        var all = waiting.Concat(running).ToArray();
        waiting.Clear();
        running.Clear();
        return all;
    }

    /// <summary>Removes a finished or failed request from the running set.</summary>
    public void Retire(EngineRequest request) => running.Remove(request);
}
