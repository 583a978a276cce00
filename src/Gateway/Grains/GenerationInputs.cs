using Rex.Model.Sampling;
using Rex.Protos.Grains;

namespace Rex.Gateway.Grains;

/// <summary>Requests to and from their Orleans wire form (<see cref="GenerationInput"/>), field for field.</summary>
public static class GenerationInputs
{
    public static GenerationInput From(int[] promptIds, SamplingParams s) =>
        new(promptIds, s.Temperature, s.TopP, s.TopK, s.Seed, s.MaxTokens, [.. s.Stop], s.StopTokenIds?.ToArray(), s.IgnoreEos);

    public static SamplingParams Sampling(GenerationInput input) => new()
    {
        Temperature = input.Temperature,
        TopP = input.TopP,
        TopK = input.TopK,
        Seed = input.Seed,
        MaxTokens = input.MaxTokens,
        Stop = input.Stop,
        StopTokenIds = input.StopTokenIds,
        IgnoreEos = input.IgnoreEos,
    };
}
