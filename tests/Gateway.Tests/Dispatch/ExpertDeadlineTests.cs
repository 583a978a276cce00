using Rex.Gateway.Dispatch;

namespace Rex.Gateway.Tests.Dispatch;

public sealed class ExpertDeadlineTests
{
    static readonly TimeSpan Ceiling = TimeSpan.FromSeconds(30);

    static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void ASetDeadlineIsKeptWhateverTheRoundTrips()
    {
        var deadline = new ExpertDeadline(Ms(200), Ceiling, new DispatchCounters());
        for (var i = 0; i < 100; i++) deadline.Record(Ms(900));
        Assert.Equal(Ms(200), deadline.Current);
    }

    [Fact]
    public void UntilSixtyFourRepliesADerivedDeadlineIsTheLayersWholeTimeout()
    {
        var deadline = new ExpertDeadline(TimeSpan.Zero, Ceiling, new DispatchCounters());
        for (var i = 0; i < 63; i++) deadline.Record(Ms(1));
        Assert.Equal(Ceiling, deadline.Current);
        deadline.Record(Ms(1));
        Assert.Equal(Ms(50), deadline.Current); // 20 x 1 ms is under the 50 ms floor
    }

    [Fact]
    public void ADerivedDeadlineIsTwentyTimesTheP99OfTheLast256RoundTrips()
    {
        var deadline = new ExpertDeadline(TimeSpan.Zero, Ceiling, new DispatchCounters());
        // 253 replies of 2 ms and 3 of 10 ms: the p99 (the 254th of 256) is 10 ms.
        for (var i = 0; i < 256; i++) deadline.Record(Ms(i < 253 ? 2 : 10));
        Assert.Equal(Ms(200), deadline.Current);
        // The slow ones (a cold start) leave the window: 20 x 2 ms is under the floor.
        for (var i = 0; i < 256; i++) deadline.Record(Ms(2));
        Assert.Equal(Ms(50), deadline.Current);
    }

    [Fact]
    public void ADerivedDeadlineNeverExceedsTheLayersTimeout()
    {
        var deadline = new ExpertDeadline(TimeSpan.Zero, TimeSpan.FromSeconds(1), new DispatchCounters());
        for (var i = 0; i < 64; i++) deadline.Record(Ms(100));
        Assert.Equal(TimeSpan.FromSeconds(1), deadline.Current);
    }
}
