using Rex.Cli.Commands;
using Rex.Gateway.Api;
using Rex.Model.Sampling;
using Rex.Protos.Api;

namespace Rex.Cli.Bench;

/// <summary>
/// How every bench request samples (`--temperature`, `--top-p`, `--top-k`, as in vLLM's `bench serve`): greedy by
/// default, so runs compare like with like; sampling settings measure what the sampler adds to a step.
/// </summary>
internal sealed record BenchSampling(double Temperature, double TopP, int TopK)
{
    /// <summary>The engine's own rules, under the flags' names.</summary>
    public BenchSampling Validate()
    {
        try
        {
            AsParams(maxTokens: 1).Validate(int.MaxValue);
        }
        catch (ArgumentException e)
        {
            throw ApiErrors.Renamed(e, $"--{e.ParamName?.Replace('_', '-')}");
        }
        return this;
    }

    public SamplingParams AsParams(int maxTokens) =>
        new() { Temperature = Temperature, TopP = TopP, TopK = TopK, MaxTokens = maxTokens, IgnoreEos = true };

    public SamplingParameters AsRequest(int maxTokens) => SamplingOptions.ToWire(AsParams(maxTokens));

    public override string ToString() => AsParams(maxTokens: 1).IsGreedy ? "greedy" : $"temperature {Temperature}, top_p {TopP}, top_k {TopK}";
}
