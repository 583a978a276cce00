using System.Text.Json;
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

    /// <summary>Only free text is served: {"type": "text"}.</summary>
    public ResponseFormat? ResponseFormat { get; init; }

    /// <summary>Functions the model may call. This server calls none: only an empty list is accepted.</summary>
    public JsonElement[]? Tools { get; init; }

    /// <summary>"none" or "auto", which without tools both mean a plain reply; requiring a tool call is refused.</summary>
    public JsonElement? ToolChoice { get; init; }

    /// <summary>Without tools there are no calls to run in parallel: accepted and unused.</summary>
    public bool? ParallelToolCalls { get; init; }

    // OpenAI's stored completions and processing tier, which change nothing in the answer: accepted so clients that
    // send them work, and unused.

    public Dictionary<string, string>? Metadata { get; init; }

    public bool? Store { get; init; }

    public string? ServiceTier { get; init; }

    public bool IsLogprobs => Logprobs == true;

    public override void Check(GenerationFront front)
    {
        base.Check(front);
        if (Messages is null) throw new ArgumentException("messages is required", "messages");
        if (TopLogprobs is not null && !IsLogprobs) throw new ArgumentException("top_logprobs needs logprobs: true", "top_logprobs");
        ResponseFormat?.Check();
        if (Tools is { Length: > 0 })
            throw new ArgumentException("tools are not supported: this server does not call tools (send none, or an empty list)", "tools");
        CheckToolChoice();
    }

    void CheckToolChoice()
    {
        if (ToolChoice is not { } choice || choice.ValueKind == JsonValueKind.Null) return;
        if (choice.ValueKind != JsonValueKind.String)
            throw new ArgumentException("tool_choice naming a tool is not supported: this server does not call tools (use 'none' or 'auto')", "tool_choice");
        var mode = StringValue(choice, "tool_choice");
        if (mode is not ("none" or "auto"))
            throw new ArgumentException($"tool_choice '{mode}' is not supported: this server does not call tools (use 'none' or 'auto')", "tool_choice");
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
