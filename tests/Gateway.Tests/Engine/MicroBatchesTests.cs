using Rex.Gateway.Engine;

namespace Rex.Gateway.Tests.Engine;

public sealed class MicroBatchesTests
{
    [Fact]
    public void SplitsWholeItemsIntoBalancedGroupsKeepingOrder()
    {
        int[] tokens = [7, 1, 1, 1, 4, 1, 1];
        var groups = MicroBatches.Split(Enumerable.Range(0, tokens.Length).ToArray(), i => tokens[i], 2);
        Assert.Equal(2, groups.Count);
        Assert.Equal(Enumerable.Range(0, tokens.Length), groups.SelectMany(g => g).Order());
        Assert.All(groups, g => Assert.Equal(g.Order(), g));
        Assert.Equal(8, groups.Max(g => g.Sum(i => tokens[i])));
    }

    [Fact]
    public void NeverMoreGroupsThanItems()
    {
        Assert.Single(MicroBatches.Split([5], _ => 1, 4));
        Assert.Single(MicroBatches.Split([1, 2, 3], _ => 1, 1));
    }
}
