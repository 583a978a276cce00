using Rex.Gateway.Api;
using Rex.Model.Tokenization;

namespace Rex.Gateway.OpenAi;

/// <summary>The body of POST /v1/chat/completions.</summary>
public sealed class ChatCompletionRequest : SamplingRequest
{
    public ChatMessageBody?[]? Messages { get; init; }

    /// <summary>Report each token's log-probability.</summary>
    public bool? Logprobs { get; init; }

    /// <summary>With logprobs: this many most likely alternatives per token.</summary>
    public int? TopLogprobs { get; init; }

    public bool IsLogprobs => Logprobs == true;

    public override void Check(GenerationFront front)
    {
        base.Check(front);
        if (Messages is null) throw new ArgumentException("messages is required", "messages");
        if (TopLogprobs is not null && !IsLogprobs) throw new ArgumentException("top_logprobs needs logprobs: true", "top_logprobs");
    }

    /// <summary>The engine's count of alternatives: top_logprobs (0 when left out) once logprobs is on.</summary>
    public int? NumLogprobs => IsLogprobs ? TopLogprobs ?? 0 : null;

    public ChatMessage[] Conversation()
    {
        var messages = new ChatMessage[Messages!.Length];
        for (var i = 0; i < messages.Length; i++)
            messages[i] = Messages[i]?.ToMessage($"messages[{i}]") ?? throw new ArgumentException($"messages[{i}] must be an object", "messages");
        return messages;
    }
}
