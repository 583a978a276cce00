namespace Rex.Protos.Grains;

/// <summary>
/// One replica of a served model: embedding, attention, routers, LM head, sampling and the scheduler, on the
/// gateway's device. Calls only enqueue work; the engine loop runs on the device's thread.
/// </summary>
public interface IGatewayGrain : IGrainWithStringKey
{
    /// <summary>
    /// Generates for one request; cancelling (a client gone, a deadline passed) frees its place at once. A long
    /// generation may outlast Orleans' default 30 s call timeout: the client's deadline bounds it instead.
    /// </summary>
    [ResponseTimeout("1.00:00:00")]
    Task<GenerationOutcome> Generate(GenerationInput input, CancellationToken cancellation);

    /// <summary>
    /// The same, delivered as it is generated: one delta per step that produced something, the last one with the
    /// finish reason. Stopping the enumeration (or cancelling) frees the request's KV blocks at once.
    /// </summary>
    [ResponseTimeout("1.00:00:00")]
    IAsyncEnumerable<GenerationDelta> GenerateStream(GenerationInput input, CancellationToken cancellation);

    Task<GatewayStatus> Status();
}

/// <summary>A prompt as token ids and how to continue it (the fields of vLLM's SamplingParams).</summary>
[GenerateSerializer, Immutable, Alias("rex.GenerationInput")]
public sealed record GenerationInput(
    [property: Id(0)] int[] PromptIds,
    [property: Id(1)] double Temperature,
    [property: Id(2)] double TopP,
    [property: Id(3)] int TopK,
    [property: Id(4)] long? Seed,
    [property: Id(5)] int MaxTokens,
    [property: Id(6)] string[] Stop,
    [property: Id(7)] int[]? StopTokenIds,
    [property: Id(8)] bool IgnoreEos,
    [property: Id(9)] double PresencePenalty,
    [property: Id(10)] double FrequencyPenalty,
    [property: Id(11)] int? Logprobs,
    [property: Id(12)] string Operation,
    [property: Id(13)] string TraceParent,
    [property: Id(14)] Dictionary<int, double>? LogitBias = null);

[GenerateSerializer, Immutable, Alias("rex.GenerationOutcome")]
public sealed record GenerationOutcome(
    [property: Id(0)] int[] TokenIds,
    [property: Id(1)] string Text,
    [property: Id(2)] string FinishReason,
    [property: Id(3)] WireLogprob[] Logprobs,
    [property: Id(4)] int CachedPromptTokens);

/// <summary>New tokens since the previous delta; FinishReason (and CachedPromptTokens) only on the last.</summary>
[GenerateSerializer, Immutable, Alias("rex.GenerationDelta")]
public sealed record GenerationDelta(
    [property: Id(0)] int[] TokenIds,
    [property: Id(1)] string Text,
    [property: Id(2)] WireLogprob[] Logprobs,
    [property: Id(3)] string? FinishReason,
    [property: Id(4)] int CachedPromptTokens);

/// <summary>A sampled token's log-probability and the most likely alternatives (ids and logprobs, most likely first).</summary>
[GenerateSerializer, Immutable, Alias("rex.WireLogprob")]
public sealed record WireLogprob(
    [property: Id(0)] int TokenId,
    [property: Id(1)] float Logprob,
    [property: Id(2)] int[] TopIds,
    [property: Id(3)] float[] TopLogprobs);

/// <summary>The gateway's queue already holds MaxQueuedRequests: try later or elsewhere (RESOURCE_EXHAUSTED, HTTP 429).</summary>
[GenerateSerializer, Alias("rex.QueueFullException")]
public sealed class QueueFullException(string message) : Exception(message);

/// <summary>
/// The request waited ExpertWaitTimeoutSeconds for experts that are not there (no expert silo, or a layer with no replica
/// placed): try later or elsewhere (UNAVAILABLE, HTTP 503 with Retry-After).
/// </summary>
[GenerateSerializer, Alias("rex.NoExpertsException")]
public sealed class NoExpertsException(string message) : Exception(message);

/// <summary>What a gateway knows: every expert replica it dispatches to, the experts short of full replication, and its counters.</summary>
[GenerateSerializer, Immutable, Alias("rex.GatewayStatus")]
public sealed record GatewayStatus(
    [property: Id(0)] string Model,
    [property: Id(1)] int ExpectedExperts,
    [property: Id(2)] ExpertGrainInfo[] Experts,
    [property: Id(3)] DispatchCounterSnapshot Dispatch,
    [property: Id(4)] StepProfileSnapshot Profile,
    [property: Id(5)] SchedulerSnapshot Scheduler,
    [property: Id(6)] UnderReplicatedExpert[] UnderReplicated);

/// <summary>An expert whose replicas stand on fewer distinct silos than it has replicas: one is missing, or two share a silo.</summary>
[GenerateSerializer, Immutable, Alias("rex.UnderReplicatedExpert")]
public sealed record UnderReplicatedExpert(
    [property: Id(0)] int Layer,
    [property: Id(1)] int Expert,
    [property: Id(2)] int NumReplicas,
    [property: Id(3)] int NumSilos);

[GenerateSerializer, Immutable, Alias("rex.SchedulerSnapshot")]
public sealed record SchedulerSnapshot(
    [property: Id(0)] int NumRunning,
    [property: Id(1)] int NumWaiting,
    [property: Id(2)] int KvBlockSize,
    [property: Id(3)] int NumKvBlocks,
    [property: Id(4)] int NumUsedKvBlocks,
    [property: Id(5)] long PrefixCacheQueriedTokens,
    [property: Id(6)] long PrefixCacheHitTokens,
    [property: Id(7)] long Preemptions,
    [property: Id(8)] long RejectedRequests);

[GenerateSerializer, Immutable, Alias("rex.DispatchCounterSnapshot")]
public sealed record DispatchCounterSnapshot(
    [property: Id(0)] long Messages,
    [property: Id(1)] long RowsSent,
    [property: Id(2)] long ReroutedSlots,
    [property: Id(3)] long DeferredSlots,
    [property: Id(4)] long DroppedSlots,
    [property: Id(5)] long ExpertMoves,
    [property: Id(6)] long DeadlineMisses,
    [property: Id(7)] long ResentRows,
    [property: Id(8)] long UnavailableRows,
    [property: Id(9)] int SuspectSilos,
    [property: Id(10)] double ExpertDeadlineMs,
    [property: Id(11)] long InProcessMessages,
    [property: Id(12)] long InProcessRows);

/// <summary>The gateway's step phases since start, in seconds (their meanings: the gateway's StepProfiler.Phase).</summary>
[GenerateSerializer, Immutable, Alias("rex.StepProfileSnapshot")]
public sealed record StepProfileSnapshot(
    [property: Id(0)] long Steps,
    [property: Id(1)] double AttentionSeconds,
    [property: Id(2)] double DispatchSeconds,
    [property: Id(3)] double ExpertWaitSeconds,
    [property: Id(4)] double ExpertComputeSeconds,
    [property: Id(5)] double CombineSeconds,
    [property: Id(6)] double SamplingSeconds,
    [property: Id(7)] double TotalSeconds,
    [property: Id(8)] double RouterSeconds,
    [property: Id(9)] double SerializeSeconds,
    [property: Id(10)] double NetworkSeconds,
    [property: Id(11)] double LocalFeedForwardSeconds,
    [property: Id(12)] double StepBytes);
