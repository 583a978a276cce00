using Rex.Model.Sampling;

namespace Rex.Cli.Bench;

/// <summary>Deterministic prompts of ordinary-text token ids, different for every request, the same on every run.</summary>
internal static class BenchPrompts
{
    public static int[][] Make(int count, int length)
    {
        var random = new SequenceRandom(7);
        return Enumerable.Range(0, count)
            .Select(_ => Enumerable.Range(0, length).Select(_ => (int)(random.NextDouble() * 100000)).ToArray())
            .ToArray();
    }
}
