using Rex.Model.Cache;
using Rex.Model.Engine;

namespace Rex.Gateway.Engine;

/// <summary>A request inside the gateway engine: its sequence, its KV cache once admitted, and who awaits it.</summary>
public sealed class EngineRequest(Sequence sequence, CancellationToken cancellation)
{
    readonly TaskCompletionSource<GenerationResult> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Sequence Sequence { get; } = sequence;

    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Allocated by the engine when the scheduler admits the request; the scheduler never touches it.</summary>
    public KvCache? Cache { get; set; }

    public Task<GenerationResult> Result => completion.Task;

    public void Complete() => completion.TrySetResult(Sequence.Result());

    public void Fail(Exception error) => completion.TrySetException(error);

    public void Cancel() => completion.TrySetCanceled(Cancellation);
}
