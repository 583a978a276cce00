using System.Diagnostics;
using System.Threading.Channels;
using Rex.Gateway.Telemetry;
using Rex.Model.Engine;

namespace Rex.Gateway.Engine;

/// <summary>
/// A request inside the gateway engine: its sequence, the KV blocks it holds and how many of its tokens they
/// already store, and who awaits it (the whole result, or a stream of deltas).
/// </summary>
public sealed class EngineRequest(Sequence sequence, CancellationToken cancellation, bool isStreaming, AdmissionQueue? admission = null,
    RequestTelemetry? telemetry = null)
{
    readonly TaskCompletionSource<GenerationResult> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly Channel<SequenceDelta> deltas = Channel.CreateUnbounded<SequenceDelta>(new UnboundedChannelOptions { SingleWriter = true });
    int isQueued = 1;
    int hasEnded;

    public Sequence Sequence { get; } = sequence;

    public CancellationToken Cancellation { get; } = cancellation;

    public bool IsStreaming { get; } = isStreaming;

    /// <summary>When it was submitted, as a <see cref="Stopwatch"/> timestamp.</summary>
    public long Arrival { get; } = Stopwatch.GetTimestamp();

    /// <summary>The request's span and timings; null in tests of the scheduler alone.</summary>
    public RequestTelemetry? Telemetry { get; } = telemetry;

    /// <summary>The KV blocks this sequence holds, in position order (the block manager's bookkeeping).</summary>
    public List<int> BlockTable { get; } = [];

    /// <summary>Tokens (prompt, then output) whose keys and values the blocks hold. A decode step computes the last sampled one.</summary>
    public int NumComputedTokens { get; set; }

    /// <summary>Prompt tokens served from the prefix cache at first admission.</summary>
    public int NumCachedPromptTokens { get; set; }

    public bool HasStarted { get; set; }

    /// <summary>Tokens the model has not yet seen: the prompt (or what is left of it) or the last sampled token.</summary>
    public int NumUncomputedTokens => Sequence.NumTokens - NumComputedTokens;

    public Task<GenerationResult> Result => completion.Task;

    public ChannelReader<SequenceDelta> Deltas => deltas.Reader;

    /// <summary>Leaves the admission queue, once: when first admitted, or when it ends before that.</summary>
    public void LeaveQueue()
    {
        if (Interlocked.Exchange(ref isQueued, 0) != 1) return;
        admission?.Leave();
        Telemetry?.LeftQueue();
    }

    /// <summary>Hands the tokens sampled since the last delta to a streaming caller.</summary>
    public void Deliver()
    {
        if (!IsStreaming) return;
        var delta = Sequence.TakeDelta();
        if (delta.TokenIds.Count > 0 || delta.FinishReason is not null) deltas.Writer.TryWrite(delta);
    }

    public void Complete()
    {
        LeaveQueue();
        if (Interlocked.Exchange(ref hasEnded, 1) == 0) Telemetry?.Finished(Sequence, null);
        Deliver();
        deltas.Writer.TryComplete();
        completion.TrySetResult(Sequence.Result());
    }

    public void Fail(Exception error)
    {
        LeaveQueue();
        if (Interlocked.Exchange(ref hasEnded, 1) == 0) Telemetry?.Finished(Sequence, error.GetType().Name);
        deltas.Writer.TryComplete(error);
        completion.TrySetException(error);
    }

    public void Cancel()
    {
        LeaveQueue();
        if (Interlocked.Exchange(ref hasEnded, 1) == 0) Telemetry?.Finished(Sequence, "cancelled");
        deltas.Writer.TryComplete(new OperationCanceledException(Cancellation));
        completion.TrySetCanceled(Cancellation);
    }
}
