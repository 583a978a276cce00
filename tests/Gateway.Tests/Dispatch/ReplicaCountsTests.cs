using Rex.Gateway.Dispatch;

namespace Rex.Gateway.Tests.Dispatch;

public sealed class ReplicaCountsTests
{
    [Fact]
    public void OverridesApplyToTheirLayerAndExpertAndTheLastOneWins()
    {
        var counts = new ReplicaCounts(1, "0:3=2, *:7=3, 1:*=4, 1:7=5");
        Assert.Equal(1, counts.For(0, 0));
        Assert.Equal(2, counts.For(0, 3));
        Assert.Equal(3, counts.For(0, 7));
        Assert.Equal(4, counts.For(1, 0));
        Assert.Equal(5, counts.For(1, 7));
    }

    [Theory]
    [InlineData(0, "", "ExpertReplicas must be at least 1")]
    [InlineData(1, "0:1", "'0:1' is not layer:expert=count")]
    [InlineData(1, "0:1=0", "'0:1=0' is not layer:expert=count")]
    [InlineData(1, "x:1=2", "'x' is not an index")]
    public void BadSettingsAreNamed(int replicas, string overrides, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => new ReplicaCounts(replicas, overrides)).Message);
}
