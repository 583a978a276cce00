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

    /// <summary>Tools the model may call. This server calls none: only an empty list is accepted.</summary>
    public JsonElement[]? Tools { get; init; }

    /// <summary>"none" or "auto", which without tools both mean a plain reply; requiring a tool call is refused.</summary>
    public JsonElement? ToolChoice { get; init; }

    /// <summary>Without tools there are no calls to run in parallel: accepted and unused.</summary>
    public bool? ParallelToolCalls { get; init; }

    /// <summary>The deprecated form of tools, held to the same rule.</summary>
    public JsonElement[]? Functions { get; init; }

    /// <summary>The deprecated form of tool_choice, held to the same rule.</summary>
    public JsonElement? FunctionCall { get; init; }

    /// <summary>Output kinds: only ["text"] is served.</summary>
    public string[]? Modalities { get; init; }

    /// <summary>Spoken output's voice and format: refused, this server answers in text.</summary>
    public JsonElement? Audio { get; init; }

    /// <summary>Web search before answering: refused, this server does not search.</summary>
    public JsonElement? WebSearchOptions { get; init; }

    // Fields that change nothing in this server's answer, accepted so clients that send them work, and unused: stored
    // completions (metadata, store), the processing tier, OpenAI's prompt cache and abuse monitoring keys, predicted
    // output (which only speeds up a reply), and the reasoning effort and verbosity of OpenAI's reasoning models.

    public Dictionary<string, string>? Metadata { get; init; }

    public bool? Store { get; init; }

    public string? ServiceTier { get; init; }

    public string? PromptCacheKey { get; init; }

    public string? PromptCacheRetention { get; init; }

    public string? SafetyIdentifier { get; init; }

    public JsonElement? Prediction { get; init; }

    public string? ReasoningEffort { get; init; }

    public string? Verbosity { get; init; }

    public bool IsLogprobs => Logprobs == true;

    public override void Check(GenerationFront front)
    {
        base.Check(front);
        if (Messages is null) throw new ArgumentException("messages is required", "messages");
        if (TopLogprobs is not null && !IsLogprobs) throw new ArgumentException("top_logprobs needs logprobs: true", "top_logprobs");
        ResponseFormat?.Check();
        ToolCalling.CheckNone(Tools, "tools");
        ToolCalling.CheckNone(Functions, "functions");
        ToolCalling.CheckChoice(ToolChoice, "tool_choice");
        ToolCalling.CheckChoice(FunctionCall, "function_call");
        if (Modalities?.Any(m => m != "text") == true)
            throw new ArgumentException("modalities other than 'text' are not supported: this server answers in text", "modalities");
        if (Audio is { ValueKind: not JsonValueKind.Null })
            throw new ArgumentException("audio is not supported: this server answers in text", "audio");
        if (WebSearchOptions is { ValueKind: not JsonValueKind.Null })
            throw new ArgumentException("web_search_options is not supported: this server does not search the web", "web_search_options");
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
