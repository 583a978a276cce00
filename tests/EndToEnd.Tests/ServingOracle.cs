using Rex.Model;
using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.Sampling;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// Prompts for the serving tests and what each produces alone: the fixture model's greedy tokens from the
/// single-process reference engine, one request at a time.
/// </summary>
public static class ServingOracle
{
    /// <summary>`count` prompts of 5 to 40 token ids, the same for a given seed; with a shared prefix when asked.</summary>
    public static int[][] Prompts(int count, int seed, int[]? prefix = null)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (int[])[.. prefix ?? [], .. Enumerable.Range(0, random.Next(5, 41)).Select(_ => random.Next(100, 50000))])];
    }

    public static int[][] AloneGreedy(IReadOnlyList<int[]> prompts, int maxTokens)
    {
        using var engine = ReferenceEngine.Load(TestPaths.DbrxTiny, ComputePlacement.Cpu);
        var sampling = new SamplingParams { MaxTokens = maxTokens, IgnoreEos = true };
        return [.. prompts.Select(p => engine.Generate([new GenerationRequest(p, sampling)])[0].TokenIds.ToArray())];
    }
}
