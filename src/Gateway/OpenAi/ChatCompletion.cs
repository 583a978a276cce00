using System.Text.Json.Serialization;

namespace Rex.Gateway.OpenAi;

/// <summary>OpenAI's chat.completion object: the whole answer of /v1/chat/completions.</summary>
public sealed record ChatCompletion(string Id, long Created, string Model, ChatChoice[] Choices, Usage Usage)
{
    [JsonPropertyOrder(-1)]
    public string Object => "chat.completion";
}

public sealed record ChatChoice(int Index, ChatReply Message, ChatLogprobs? Logprobs, string? FinishReason);

public sealed record ChatReply(string Role, string Content);
