using System.Text.Json;
using Rex.Gateway.Api;

namespace Rex.Gateway.OpenAi;

/// <summary>The body of POST /v1/completions.</summary>
public sealed class CompletionRequest : SamplingRequest
{
    /// <summary>Text, an array of token ids, or a one-element array of either (what OpenAI's SDKs send for one prompt).</summary>
    public JsonElement? Prompt { get; init; }

    /// <summary>Report this many most likely alternatives per token, with each token's own log-probability.</summary>
    public int? Logprobs { get; init; }

    /// <summary>OpenAI's: the prompt repeated before the completion. Only false is served.</summary>
    public bool? Echo { get; init; }

    /// <summary>OpenAI's: this many completions generated to return the best. Only 1 is served, as n is.</summary>
    public int? BestOf { get; init; }

    /// <summary>OpenAI's: text that follows the completion (insertion). Only none is served.</summary>
    public string? Suffix { get; init; }

    public override void Check(GenerationFront front)
    {
        base.Check(front);
        if (Echo == true) throw new ArgumentException("echo is not supported: this server returns the completion alone", "echo");
        if (BestOf is { } bestOf && bestOf != 1) throw new ArgumentException($"best_of must be 1: this server generates one completion per request, got {bestOf}", "best_of");
        if (!string.IsNullOrEmpty(Suffix)) throw new ArgumentException("suffix is not supported: this server does not insert text", "suffix");
    }

    /// <summary>The prompt as token ids; text is encoded as ordinary text. The engine checks length and vocabulary.</summary>
    public int[] PromptIds(GenerationFront front)
    {
        if (Prompt is not { } prompt) throw new ArgumentException("prompt is required", "prompt");
        if (prompt.ValueKind == JsonValueKind.Array && prompt.GetArrayLength() == 1 && prompt[0].ValueKind is JsonValueKind.String or JsonValueKind.Array)
            prompt = prompt[0];
        return prompt.ValueKind switch
        {
            JsonValueKind.String => front.EncodeText(StringValue(prompt, "prompt"), "prompt"),
            JsonValueKind.Array => TokenIds(prompt),
            _ => throw new ArgumentException("prompt must be a string or an array of token ids", "prompt"),
        };
    }

    static int[] TokenIds(JsonElement prompt)
    {
        var ids = new int[prompt.GetArrayLength()];
        for (var i = 0; i < ids.Length; i++)
        {
            var item = prompt[i];
            if (item.ValueKind is JsonValueKind.String or JsonValueKind.Array)
                throw new ArgumentException($"prompt holds {ids.Length} prompts; this server takes one per request", "prompt");
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out ids[i]))
                throw new ArgumentException($"prompt[{i}] is {item.GetRawText()}, not a token id", "prompt");
        }
        return ids;
    }
}
