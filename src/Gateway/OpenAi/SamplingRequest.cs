using System.Globalization;
using System.Text.Json;
using Rex.Gateway.Api;
using Rex.Model.Sampling;

namespace Rex.Gateway.OpenAi;

/// <summary>
/// The request fields /v1/completions and /v1/chat/completions share: the model, how to sample and whether to
/// stream. OpenAI's names, with vLLM's extensions top_k, stop_token_ids and ignore_eos. The engine checks the
/// sampling ranges (naming the field); this class checks only what the engine never sees. A field OpenAI defines is
/// never refused for being unknown: it is honoured, accepted and unused when it does not change the answer, or
/// refused as not supported for a value this server cannot honour (as vLLM does).
/// </summary>
public abstract class SamplingRequest : JsonBody
{
    public string? Model { get; init; }

    public int? MaxTokens { get; init; }

    /// <summary>OpenAI's newer name for max_tokens; wins when both are given.</summary>
    public int? MaxCompletionTokens { get; init; }

    public double? Temperature { get; init; }

    public double? TopP { get; init; }

    public int? TopK { get; init; }

    public long? Seed { get; init; }

    /// <summary>A string or an array of strings.</summary>
    public JsonElement? Stop { get; init; }

    public int[]? StopTokenIds { get; init; }

    public bool? IgnoreEos { get; init; }

    public double? PresencePenalty { get; init; }

    public double? FrequencyPenalty { get; init; }

    public int? N { get; init; }

    /// <summary>OpenAI's: token ids (as strings, JSON's object keys) to a bias in [-100, 100] added to their logits.</summary>
    public Dictionary<string, double>? LogitBias { get; init; }

    /// <summary>OpenAI's end-user id for its abuse monitoring: accepted so clients that send it work, and unused.</summary>
    public string? User { get; init; }

    public bool? Stream { get; init; }

    public StreamOptions? StreamOptions { get; init; }

    public bool IsStream => Stream == true;

    public bool IncludeUsage => StreamOptions?.IncludeUsage == true;

    public bool HasMaxTokens => MaxTokens is not null || MaxCompletionTokens is not null;

    /// <summary>Checks the model and the fields no engine sees; unknown fields anywhere are refused by name.</summary>
    public virtual void Check(GenerationFront front)
    {
        front.CheckModel(Model);
        RejectUnknown();
        StreamOptions?.RejectUnknown("stream_options.");
        if (N is { } n && n != 1) throw new ArgumentException($"n must be 1: this server returns one choice per request, got {n}", "n");
        if (StreamOptions is not null && !IsStream) throw new ArgumentException("stream_options is only allowed with stream: true", "stream_options");
    }

    /// <summary>Fields left out keep SamplingParams' defaults, as in the gRPC API.</summary>
    public SamplingParams Sampling(int? logprobs)
    {
        var defaults = new SamplingParams();
        return new SamplingParams
        {
            Temperature = Temperature ?? defaults.Temperature,
            TopP = TopP ?? defaults.TopP,
            TopK = TopK ?? defaults.TopK,
            Seed = Seed ?? defaults.Seed,
            MaxTokens = MaxCompletionTokens ?? MaxTokens ?? defaults.MaxTokens,
            Stop = Stops(),
            StopTokenIds = StopTokenIds is { Length: > 0 } ids ? ids : defaults.StopTokenIds,
            IgnoreEos = IgnoreEos ?? defaults.IgnoreEos,
            PresencePenalty = PresencePenalty ?? defaults.PresencePenalty,
            FrequencyPenalty = FrequencyPenalty ?? defaults.FrequencyPenalty,
            Logprobs = logprobs,
            LogitBias = TokenBiases(),
        };
    }

    /// <summary>logit_bias with its keys read as token ids; the engine checks them against the vocabulary and the values against the range.</summary>
    Dictionary<int, double>? TokenBiases()
    {
        if (LogitBias is not { Count: > 0 }) return null;
        var biases = new Dictionary<int, double>(LogitBias.Count);
        foreach (var (key, bias) in LogitBias)
        {
            if (!int.TryParse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id))
                throw new ArgumentException($"logit_bias keys must be token ids, got '{key}'", "logit_bias");
            biases[id] = bias;
        }
        return biases;
    }

    IReadOnlyList<string> Stops() => Stop switch
    {
        null => [],
        { ValueKind: JsonValueKind.String } one => [StringValue(one, "stop")],
        { ValueKind: JsonValueKind.Array } many when many.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String) =>
            [.. many.EnumerateArray().Select(s => StringValue(s, "stop"))],
        _ => throw new ArgumentException("stop must be a string or an array of strings", "stop"),
    };
}
