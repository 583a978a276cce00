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
