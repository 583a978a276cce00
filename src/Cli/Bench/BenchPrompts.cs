using Rex.Model.Sampling;

namespace Rex.Cli.Bench;

/// <summary>Deterministic prompts of ordinary-text token ids, different for every request, the same on every run.</summary>
internal static class BenchPrompts
{
    /// <summary>The timed run's prompts.</summary>
    public static int[][] Make(int count, int length) => Make(count, length, seed: 7);

    /// <summary>Prompts for warming up, none of them a timed prompt (whose KV blocks a server would then have cached).</summary>
    public static int[][] MakeWarmup(int count, int length) => Make(count, length, seed: 8);

    static int[][] Make(int count, int length, long seed)
    {
        var random = new SequenceRandom(seed);
        return Enumerable.Range(0, count)
            .Select(_ => Enumerable.Range(0, length).Select(_ => (int)(random.NextDouble() * 100000)).ToArray())
            .ToArray();
    }
}
