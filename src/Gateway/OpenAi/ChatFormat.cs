using System.Text.Json.Serialization.Metadata;
using Rex.Gateway.Telemetry;
using Rex.Protos.Grains;

namespace Rex.Gateway.OpenAi;

/// <summary>One /v1/chat/completions request's answer: a chat.completion, or chat.completion.chunks opened by the role.</summary>
/// <param name="logprobs">Null when the request asked for none.</param>
public sealed class ChatFormat(string model, long created, LogprobTokens? logprobs) : IAnswerFormat<ChatCompletion, ChatCompletionChunk>
{
    const string Assistant = "assistant";
    readonly string id = $"chatcmpl-{Guid.NewGuid():N}";

    public string OperationName => GenAiOperations.Chat;

    public JsonTypeInfo<ChatCompletion> WholeJson => OpenAiJson.Api.ChatCompletion;

    public JsonTypeInfo<ChatCompletionChunk> ChunkJson => OpenAiJson.Api.ChatCompletionChunk;

    public ChatCompletionChunk Opening => Chunk(new ChatDelta(Assistant, ""), null, null);

    public ChatCompletion Whole(GenerationOutcome outcome, int promptTokens) => new(id, created, model,
        [new ChatChoice(0, new ChatReply(Assistant, outcome.Text), logprobs?.Chat(outcome.Logprobs), outcome.FinishReason)],
        Usage.Of(promptTokens, outcome.TokenIds.Length, outcome.CachedPromptTokens));

    public ChatCompletionChunk? Of(GenerationDelta delta) =>
        delta.Text.Length == 0 && delta.Logprobs.Length == 0 && delta.FinishReason is null
            ? null
            : Chunk(new ChatDelta(null, delta.Text), logprobs?.Chat(delta.Logprobs), delta.FinishReason);

    public ChatCompletionChunk Closing(Usage usage) => new(id, created, model, [], usage);

    ChatCompletionChunk Chunk(ChatDelta delta, ChatLogprobs? tokens, string? finishReason) =>
        new(id, created, model, [new ChatChunkChoice(0, delta, tokens, finishReason)], null);
}
