namespace Rex.Model.Sampling;

/// <summary>
/// How one request picks its tokens and when it stops; names follow vLLM's SamplingParams.
/// Temperature 0 is greedy (the default, as in Hugging Face generate and TGI), and so is any temperature below
/// <see cref="MinSamplingTemperature"/>.
/// </summary>
public sealed record SamplingParams
{
    public double Temperature { get; init; }

    /// <summary>Nucleus sampling: keep the smallest set of top tokens whose probability reaches this; 1 keeps all.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Keep only the k most likely tokens; 0 or -1 keeps all.</summary>
    public int TopK { get; init; }

    /// <summary>Same seed, same tokens. Null draws a fresh seed.</summary>
    public long? Seed { get; init; }

    public int MaxTokens { get; init; } = 16;

    /// <summary>Token ids that end the generation; null means the model's (generation_config.json eos_token_id).</summary>
    public IReadOnlyList<int>? StopTokenIds { get; init; }

    /// <summary>Strings that end the generation; the text is cut before the first one.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>Keep generating past stop token ids (benchmarks want a fixed output length).</summary>
    public bool IgnoreEos { get; init; }

    /// <summary>Subtracted once from the logit of every token already generated (OpenAI's presence_penalty).</summary>
    public double PresencePenalty { get; init; }

    /// <summary>Subtracted from a token's logit once per time it was generated (OpenAI's frequency_penalty).</summary>
    public double FrequencyPenalty { get; init; }

    /// <summary>
    /// Added to these token ids' logits before sampling, greedy included (OpenAI's logit_bias): -100 in effect bans a
    /// token, 100 forces it. Null or empty: none.
    /// </summary>
    public IReadOnlyDictionary<int, double>? LogitBias { get; init; }

    /// <summary>Report each sampled token's log-probability and this many most likely alternatives; null: none.</summary>
    public int? Logprobs { get; init; }

    /// <summary>The most alternatives a request may ask for (vLLM's max_logprobs).</summary>
    public const int MaxLogprobs = 20;

    /// <summary>The penalty range OpenAI documents.</summary>
    public const double MaxPenalty = 2.0;

    /// <summary>The logit_bias range OpenAI documents (and vLLM enforces).</summary>
    public const double MaxLogitBias = 100.0;

    /// <summary>
    /// Temperatures below this sample greedily, as in vLLM (its _SAMPLING_EPS): logits divided by them overflow
    /// float32 (5e-324 made every logit infinite, and the draw then had no distribution to draw from).
    /// </summary>
    public const double MinSamplingTemperature = 1e-5;

    public bool IsGreedy => Temperature < MinSamplingTemperature;

    public bool HasPenalties => PresencePenalty != 0 || FrequencyPenalty != 0;

    public bool HasLogitBias => LogitBias is { Count: > 0 };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid parameter and its limit.</summary>
    public SamplingParams Validate(int vocabSize)
    {
        if (!double.IsFinite(Temperature) || Temperature < 0)
            throw Invalid("temperature", $"must be a finite number >= 0 (0 = greedy), got {Temperature}");
        if (!double.IsFinite(TopP) || TopP <= 0 || TopP > 1)
            throw Invalid("top_p", $"must be in (0, 1], got {TopP}");
        if (TopK < -1)
            throw Invalid("top_k", $"must be -1, 0 (both: no limit) or a positive count, got {TopK}");
        if (MaxTokens < 1)
            throw Invalid("max_tokens", $"must be at least 1, got {MaxTokens}");
        if (!double.IsFinite(PresencePenalty) || Math.Abs(PresencePenalty) > MaxPenalty)
            throw Invalid("presence_penalty", $"must be in [-{MaxPenalty}, {MaxPenalty}], got {PresencePenalty}");
        if (!double.IsFinite(FrequencyPenalty) || Math.Abs(FrequencyPenalty) > MaxPenalty)
            throw Invalid("frequency_penalty", $"must be in [-{MaxPenalty}, {MaxPenalty}], got {FrequencyPenalty}");
        if (Logprobs is < 0 or > MaxLogprobs)
            throw Invalid("logprobs", $"must be in [0, {MaxLogprobs}] (max_logprobs), got {Logprobs}");
        foreach (var id in StopTokenIds ?? [])
            if (id < 0 || id >= vocabSize)
                throw Invalid("stop_token_ids", $"holds {id}, outside the vocabulary [0, {vocabSize})");
        foreach (var (id, bias) in LogitBias ?? new Dictionary<int, double>())
        {
            if (id < 0 || id >= vocabSize)
                throw Invalid("logit_bias", $"holds token id {id}, outside the vocabulary [0, {vocabSize})");
            if (!double.IsFinite(bias) || Math.Abs(bias) > MaxLogitBias)
                throw Invalid("logit_bias", $"values must be in [-{MaxLogitBias}, {MaxLogitBias}], got {bias} for token {id}");
        }
        foreach (var stop in Stop)
            if (string.IsNullOrEmpty(stop))
                throw Invalid("stop", "must not hold empty strings");
        return this;
    }

    static ArgumentException Invalid(string name, string rule) => new($"{name} {rule}", name);
}
