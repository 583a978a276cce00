using System.Text.Json.Serialization.Metadata;
using Rex.Gateway.Telemetry;
using Rex.Protos.Grains;

namespace Rex.Gateway.OpenAi;

/// <summary>One /v1/completions request's answer as text_completion objects: whole, or chunk by chunk.</summary>
/// <param name="logprobs">Null when the request asked for none.</param>
public sealed class CompletionFormat(string model, long created, LogprobTokens? logprobs) : IAnswerFormat<Completion, Completion>
{
    readonly string id = $"cmpl-{Guid.NewGuid():N}";
    int textOffset;

    public string OperationName => GenAiOperations.TextCompletion;

    public JsonTypeInfo<Completion> WholeJson => OpenAiJson.Api.Completion;

    public JsonTypeInfo<Completion> ChunkJson => OpenAiJson.Api.Completion;

    public Completion? Opening => null;

    public Completion Whole(GenerationOutcome outcome, int promptTokens) =>
        Answer(outcome.Text, outcome.Logprobs, outcome.FinishReason, Usage.Of(promptTokens, outcome.TokenIds.Length, outcome.CachedPromptTokens));

    public Completion? Of(GenerationDelta delta) =>
        delta.Text.Length == 0 && delta.Logprobs.Length == 0 && delta.FinishReason is null ? null : Answer(delta.Text, delta.Logprobs, delta.FinishReason, null);

    public Completion Closing(Usage usage) => new(id, created, model, [], usage);

    Completion Answer(string text, WireLogprob[] tokens, string? finishReason, Usage? usage) =>
        new(id, created, model, [new CompletionChoice(0, text, logprobs?.Completion(tokens, ref textOffset), finishReason)], usage);
}
