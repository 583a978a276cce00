using System.Text.Json.Serialization;

namespace Rex.Gateway.OpenAi;

/// <summary>
/// OpenAI's text_completion object: the whole answer of /v1/completions, or one chunk of its stream (where usage
/// is left out but on the last chunk, and only with stream_options.include_usage).
/// </summary>
public sealed record Completion(
    string Id,
    long Created,
    string Model,
    CompletionChoice[] Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Usage? Usage)
{
    [JsonPropertyOrder(-1)]
    public string Object => "text_completion";
}

public sealed record CompletionChoice(int Index, string Text, CompletionLogprobs? Logprobs, string? FinishReason);

/// <summary>The legacy completions logprobs: parallel arrays per token, alternatives as {token: logprob}.</summary>
public sealed record CompletionLogprobs(string[] Tokens, float[] TokenLogprobs, Dictionary<string, float>[] TopLogprobs, int[] TextOffset);
