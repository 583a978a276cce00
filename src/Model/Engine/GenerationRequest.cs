using Rex.Model.Sampling;

namespace Rex.Model.Engine;

/// <summary>A prompt, as token ids, and how to continue it.</summary>
public sealed record GenerationRequest(IReadOnlyList<int> PromptIds, SamplingParams Sampling);

/// <summary>The generated token ids, their logprobs when requested (a stop token included, as vLLM reports them), their text and why it ended.</summary>
public sealed record GenerationResult(IReadOnlyList<int> TokenIds, string Text, FinishReason FinishReason, IReadOnlyList<TokenLogprob> Logprobs);
