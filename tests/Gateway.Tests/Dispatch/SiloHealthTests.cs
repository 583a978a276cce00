using Rex.Gateway.Dispatch;

namespace Rex.Gateway.Tests.Dispatch;

public sealed class SiloHealthTests
{
    [Fact]
    public void OneMissedDeadlineMakesASiloSuspectAndSeveralInARowTakeItOut()
    {
        var counters = new DispatchCounters();
        var health = new SiloHealth(3, counters);

        Assert.True(health.Missed("a")); // the first miss: the caller starts probing
        Assert.True(health.IsSuspect("a"));
        Assert.False(health.IsOut("a"));
        Assert.False(health.Missed("a"));
        Assert.False(health.IsOut("a"));
        Assert.False(health.Missed("a"));
        Assert.True(health.IsOut("a"));
        Assert.False(health.IsSuspect("b"));
        Assert.Equal((3L, 1), (counters.Snapshot().DeadlineMisses, counters.Snapshot().SuspectSilos));
    }

    [Fact]
    public void AnyAnswerPutsTheSiloBackAndItsMissesStartOver()
    {
        var counters = new DispatchCounters();
        var health = new SiloHealth(2, counters);
        health.Missed("a");
        health.Missed("a");
        health.Missed("b");
        Assert.Equal(2, health.NumSuspect);

        health.Answered("a");

        Assert.False(health.IsSuspect("a"));
        Assert.False(health.IsOut("a"));
        Assert.Equal((1, 1), (health.NumSuspect, counters.Snapshot().SuspectSilos));
        Assert.True(health.Missed("a")); // suspect again from one miss, not out
        Assert.False(health.IsOut("a"));
    }

    [Fact]
    public void AForgottenSiloIsNoLongerSuspect()
    {
        var health = new SiloHealth(1, new DispatchCounters());
        health.Missed("a");
        Assert.True(health.IsOut("a"));

        health.Forget("a");

        Assert.Equal(0, health.NumSuspect);
        Assert.False(health.IsOut("a"));
    }
}
