using System.Diagnostics;
using Rex.Model.Engine;
using Rex.Model.Sampling;
using Rex.Protos.Grains;
using Rex.Silo.Telemetry;

namespace Rex.Gateway.Grains;

/// <summary>Requests and their results to and from their Orleans wire forms, field for field.</summary>
public static class GenerationInputs
{
    public static GenerationInput From(int[] promptIds, SamplingParams s, string operation) =>
        new(promptIds, s.Temperature, s.TopP, s.TopK, s.Seed, s.MaxTokens, [.. s.Stop], s.StopTokenIds?.ToArray(), s.IgnoreEos,
            s.PresencePenalty, s.FrequencyPenalty, s.Logprobs, operation, RexTracing.TraceParent(Activity.Current),
            s.HasLogitBias ? new Dictionary<int, double>(s.LogitBias!) : null);

    public static GenerationRequest Request(GenerationInput input) => new(input.PromptIds, new SamplingParams
    {
        Temperature = input.Temperature,
        TopP = input.TopP,
        TopK = input.TopK,
        Seed = input.Seed,
        MaxTokens = input.MaxTokens,
        Stop = input.Stop,
        StopTokenIds = input.StopTokenIds,
        IgnoreEos = input.IgnoreEos,
        PresencePenalty = input.PresencePenalty,
        FrequencyPenalty = input.FrequencyPenalty,
        Logprobs = input.Logprobs,
        LogitBias = input.LogitBias,
    });

    public static WireLogprob[] Wire(IReadOnlyList<TokenLogprob> logprobs) =>
        [.. logprobs.Select(l => new WireLogprob(l.TokenId, l.Logprob, [.. l.Top.Select(t => t.TokenId)], [.. l.Top.Select(t => t.Logprob)]))];
}
