using System.Text.Json.Serialization;

namespace Rex.Gateway.OpenAi;

/// <summary>OpenAI's chat.completion.chunk: one server-sent event of a streamed chat completion.</summary>
public sealed record ChatCompletionChunk(
    string Id,
    long Created,
    string Model,
    ChatChunkChoice[] Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage)
{
    [JsonPropertyOrder(-1)]
    public string Object => "chat.completion.chunk";
}

public sealed record ChatChunkChoice(int Index, ChatDelta Delta, ChatLogprobs? Logprobs, string? FinishReason);

/// <summary>The role on the first chunk only, then the new content.</summary>
public sealed record ChatDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content);
