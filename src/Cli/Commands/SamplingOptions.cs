using System.CommandLine;
using Rex.Model.Sampling;
using Rex.Protos.Api;

namespace Rex.Cli.Commands;

/// <summary>The sampling flags shared by commands that generate, named as vLLM's parameters.</summary>
internal sealed class SamplingOptions
{
    readonly Option<int> maxTokens = new("--max-tokens") { Description = "most tokens to generate", DefaultValueFactory = _ => 16 };
    readonly Option<double> temperature = new("--temperature") { Description = "0 is greedy", DefaultValueFactory = _ => 0.0 };
    readonly Option<double> topP = new("--top-p") { Description = "nucleus sampling mass, (0, 1]", DefaultValueFactory = _ => 1.0 };
    readonly Option<int> topK = new("--top-k") { Description = "keep the k most likely tokens; 0 keeps all", DefaultValueFactory = _ => 0 };
    readonly Option<long?> seed = new("--seed") { Description = "same seed, same tokens" };
    readonly Option<string[]> stop = new("--stop") { Description = "stop string (repeatable)", AllowMultipleArgumentsPerToken = false };
    readonly Option<string?> stopTokenIds = new("--stop-token-ids") { Description = "comma-separated ids that end generation (default: the model's eos ids)" };
    readonly Option<bool> ignoreEos = new("--ignore-eos") { Description = "keep generating past stop token ids" };
    readonly Option<double> presencePenalty = new("--presence-penalty") { Description = "subtracted once from each generated token's logit, [-2, 2]" };
    readonly Option<double> frequencyPenalty = new("--frequency-penalty") { Description = "subtracted per occurrence of a generated token, [-2, 2]" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { maxTokens, temperature, topP, topK, seed, stop, stopTokenIds, ignoreEos, presencePenalty, frequencyPenalty })
            command.Add(option);
    }

    public SamplingParams Read(ParseResult parse) => new()
    {
        MaxTokens = parse.GetValue(maxTokens),
        Temperature = parse.GetValue(temperature),
        TopP = parse.GetValue(topP),
        TopK = parse.GetValue(topK),
        Seed = parse.GetValue(seed),
        Stop = parse.GetValue(stop) ?? [],
        StopTokenIds = parse.GetValue(stopTokenIds) is { } ids ? TokenIdList.Parse(ids, "--stop-token-ids") : null,
        IgnoreEos = parse.GetValue(ignoreEos),
        PresencePenalty = parse.GetValue(presencePenalty),
        FrequencyPenalty = parse.GetValue(frequencyPenalty),
    };

    /// <summary>The same parameters as the public API carries them.</summary>
    public static SamplingParameters ToWire(SamplingParams sampling)
    {
        var wire = new SamplingParameters
        {
            Temperature = sampling.Temperature,
            TopP = sampling.TopP,
            TopK = sampling.TopK,
            MaxTokens = sampling.MaxTokens,
            IgnoreEos = sampling.IgnoreEos,
            PresencePenalty = sampling.PresencePenalty,
            FrequencyPenalty = sampling.FrequencyPenalty,
        };
        if (sampling.Seed is { } seed) wire.Seed = seed;
        if (sampling.Logprobs is { } logprobs) wire.Logprobs = logprobs;
        wire.Stop.AddRange(sampling.Stop);
        if (sampling.StopTokenIds is { } stopIds) wire.StopTokenIds.AddRange(stopIds);
        return wire;
    }
}
