namespace Rex.Cli.Bench;

/// <summary>
/// The mean and the 50th, 90th and 99th percentiles of a sample. Percentiles interpolate linearly between the two
/// nearest ranks, as NumPy's default does, so figures compare with vLLM's benchmark_serving.
/// </summary>
internal sealed record Percentiles(double Mean, double P50, double P90, double P99)
{
    public static Percentiles Of(IEnumerable<double> sample)
    {
        var sorted = sample.Order().ToArray();
        if (sorted.Length == 0) throw new ArgumentException("percentiles of an empty sample", nameof(sample));
        return new Percentiles(sorted.Average(), At(sorted, 50), At(sorted, 90), At(sorted, 99));
    }

    static double At(double[] sorted, double percent)
    {
        var rank = percent / 100 * (sorted.Length - 1);
        var below = (int)rank;
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (rank - below) * (sorted[above] - sorted[below]);
    }

    /// <summary>The figures, given in seconds, as milliseconds.</summary>
    public string ToMilliseconds() => $"mean {Mean * 1000:F1}, p50 {P50 * 1000:F1}, p90 {P90 * 1000:F1}, p99 {P99 * 1000:F1} ms";
}
