using Rex.Gateway.Cache;

namespace Rex.Gateway.Tests.Cache;

public sealed class BlockManagerTests
{
    static Func<int, int> Tokens(params int[] ids) => i => ids[i];

    [Fact]
    public void AllocatesWholeBlocksAndFreesThemAll()
    {
        var blocks = new BlockManager(4, 4, enablePrefixCaching: false);
        var table = new List<int>();
        Assert.True(blocks.CanAllocate(table, 9));
        blocks.Allocate(table, 9);
        Assert.Equal(3, table.Count);
        Assert.Equal(3, blocks.NumUsedBlocks);
        Assert.False(blocks.CanAllocate(table, 17));
        Assert.Throws<InvalidOperationException>(() => blocks.Allocate(table, 17));
        blocks.Allocate(table, 12); // already held
        Assert.Equal(3, table.Count);
        blocks.Free(table);
        Assert.Empty(table);
        Assert.Equal(0, blocks.NumUsedBlocks);
    }

    [Fact]
    public void AHitSharesTheBlocksAndLeavesAtLeastOneTokenToCompute()
    {
        var blocks = new BlockManager(8, 2, enablePrefixCaching: true);
        var tokens = Tokens(1, 2, 3, 4);
        var owner = new List<int>();
        blocks.Allocate(owner, 4);
        blocks.CacheFullBlocks(owner, tokens, 4);
        var reader = new List<int>();
        // All 4 tokens are cached, but the last must be computed for its logits: only the first block is used.
        Assert.Equal(2, blocks.AcquireCachedPrefix(reader, tokens, 4));
        Assert.Equal(owner[0], reader[0]);
        Assert.Equal(2, blocks.NumUsedBlocks);
        blocks.Free(owner);
        Assert.Equal(1, blocks.NumUsedBlocks); // the shared block is still held by the reader
        blocks.Free(reader);
        Assert.Equal(0, blocks.NumUsedBlocks);
    }

    [Fact]
    public void ADifferentPrefixMissesEvenWithEqualLaterBlocks()
    {
        var blocks = new BlockManager(8, 2, enablePrefixCaching: true);
        var owner = new List<int>();
        blocks.Allocate(owner, 4);
        blocks.CacheFullBlocks(owner, Tokens(1, 2, 3, 4), 4);
        var other = new List<int>();
        Assert.Equal(0, blocks.AcquireCachedPrefix(other, Tokens(9, 9, 3, 4, 5), 5)); // chained hashes: block 2 depends on block 1
        Assert.Equal(5, blocks.PrefixCacheQueriedTokens);
        Assert.Equal(0, blocks.PrefixCacheHitTokens);
    }

    [Fact]
    public void FreedCachedBlocksSurviveUntilReallocatedLeastRecentlyFreedFirst()
    {
        var blocks = new BlockManager(3, 2, enablePrefixCaching: true);
        var first = new List<int>();
        blocks.Allocate(first, 2);
        blocks.CacheFullBlocks(first, Tokens(1, 2), 2);
        blocks.Free(first);
        var second = new List<int>();
        blocks.Allocate(second, 2);
        blocks.CacheFullBlocks(second, Tokens(5, 6), 2);
        blocks.Free(second);
        // Free now: one never-cached block, then (1, 2), then (5, 6). Allocations take the uncached one first,
        // then evict the least recently freed prefix.
        blocks.Allocate([], 1);
        blocks.Allocate([], 1);
        Assert.Equal(0, blocks.AcquireCachedPrefix([], Tokens(1, 2, 0), 3));
        Assert.Equal(2, blocks.AcquireCachedPrefix([], Tokens(5, 6, 0), 3));
    }
}
