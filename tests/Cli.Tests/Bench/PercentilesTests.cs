using Rex.Cli.Bench;

namespace Rex.Cli.Tests.Bench;

public sealed class PercentilesTests
{
    [Fact]
    public void InterpolateLinearlyBetweenRanksAsNumPyDoes()
    {
        // numpy.percentile(range(1, 11), [50, 90, 99]) == [5.5, 9.1, 9.91]
        var p = Percentiles.Of([10, 3, 1, 2, 4, 5, 6, 7, 8, 9]);
        Assert.Equal(5.5, p.Mean, 9);
        Assert.Equal(5.5, p.P50, 9);
        Assert.Equal(9.1, p.P90, 9);
        Assert.Equal(9.91, p.P99, 9);
    }

    [Fact]
    public void OneValueIsEveryPercentile()
    {
        Assert.Equal(new Percentiles(0.25, 0.25, 0.25, 0.25), Percentiles.Of([0.25]));
    }

    [Fact]
    public void AnEmptySampleHasNone()
    {
        Assert.Throws<ArgumentException>(() => Percentiles.Of([]));
    }
}
