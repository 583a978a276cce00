using Rex.Model.Sampling;

namespace Rex.Cli.Bench;

/// <summary>
/// Deterministic prompts of token ids, different for every request, the same on every run: ids below 100000 (all
/// ordinary text in cl100k) or the model's vocabulary, whichever is smaller.
/// </summary>
internal static class BenchPrompts
{
    /// <summary>The timed run's prompts.</summary>
    public static int[][] Make(int count, int length, int vocabSize) => Make(count, length, vocabSize, seed: 7);

    /// <summary>Prompts for warming up, none of them a timed prompt (whose KV blocks a server would then have cached).</summary>
    public static int[][] MakeWarmup(int count, int length, int vocabSize) => Make(count, length, vocabSize, seed: 8);

    static int[][] Make(int count, int length, int vocabSize, long seed)
    {
        var random = new SequenceRandom(seed);
        var ids = Math.Min(vocabSize, 100000);
        return Enumerable.Range(0, count)
            .Select(_ => Enumerable.Range(0, length).Select(_ => (int)(random.NextDouble() * ids)).ToArray())
            .ToArray();
    }
}
