using Rex.Model.Sampling;

namespace Rex.Model.Engine;

/// <summary>What a sequence produced since it was last asked: new token ids, the text they completed, their logprobs
/// (when requested), and the finish reason on the last delta.</summary>
public sealed record SequenceDelta(IReadOnlyList<int> TokenIds, string Text, IReadOnlyList<TokenLogprob>? Logprobs, FinishReason? FinishReason);
