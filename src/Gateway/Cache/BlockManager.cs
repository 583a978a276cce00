namespace Rex.Gateway.Cache;

/// <summary>
/// The paged KV cache's bookkeeping (no tensors): which blocks each sequence holds, reference counts, and the
/// prefix cache. A full block is registered under its chained hash; when its last holder frees it, it stays
/// cached at the tail of the free list until a new allocation reaches it, so a later request with the same prefix
/// can take it back. Least recently freed blocks are evicted first, and a sequence's blocks are freed last-first,
/// so the tails of prompts go before the shared heads.
/// </summary>
public sealed class BlockManager
{
    sealed class Block(int id)
    {
        public int Id { get; } = id;
        public int RefCount { get; set; }
        public ulong? Hash { get; set; }
        public int[]? Tokens { get; set; }
        public LinkedListNode<Block>? FreeNode { get; set; }
    }

    readonly Block[] blocks;
    readonly LinkedList<Block> free = new();
    readonly Dictionary<ulong, Block> cached = [];

    public BlockManager(int numBlocks, int blockSize, bool enablePrefixCaching)
    {
        if (numBlocks < 1) throw new ArgumentOutOfRangeException(nameof(numBlocks), numBlocks, "the KV cache needs at least one block");
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "KvBlockSize must be at least 1");
        BlockSize = blockSize;
        IsPrefixCachingEnabled = enablePrefixCaching;
        blocks = Enumerable.Range(0, numBlocks).Select(i => new Block(i)).ToArray();
        foreach (var block in blocks) block.FreeNode = free.AddLast(block);
    }

    public int BlockSize { get; }
    public int NumBlocks => blocks.Length;
    public bool IsPrefixCachingEnabled { get; }

    /// <summary>Blocks some sequence holds (cached blocks nobody holds count as free).</summary>
    public int NumUsedBlocks => blocks.Length - free.Count;

    public long PrefixCacheQueriedTokens { get; private set; }
    public long PrefixCacheHitTokens { get; private set; }

    public int BlocksFor(int numTokens) => (numTokens + BlockSize - 1) / BlockSize;

    /// <summary>
    /// Starts an empty block table with the longest cached prefix of the sequence's tokens, in whole blocks and
    /// leaving at least one token to compute (its logits are needed). Returns the tokens covered.
    /// </summary>
    public int AcquireCachedPrefix(List<int> blockTable, Func<int, int> tokenAt, int numTokens)
    {
        if (blockTable.Count != 0) throw new InvalidOperationException("a cached prefix starts an empty block table");
        if (!IsPrefixCachingEnabled) return 0;
        var hash = BlockHash.Root;
        for (var i = 0; i < (numTokens - 1) / BlockSize; i++)
        {
            hash = BlockHash.Of(hash, tokenAt, i * BlockSize, BlockSize);
            if (!cached.TryGetValue(hash, out var block) || !Holds(block, tokenAt, i * BlockSize)) break;
            Take(block);
            blockTable.Add(block.Id);
        }
        PrefixCacheQueriedTokens += numTokens;
        PrefixCacheHitTokens += blockTable.Count * BlockSize;
        return blockTable.Count * BlockSize;
    }

    public bool CanAllocate(List<int> blockTable, int numTokens) => BlocksFor(numTokens) - blockTable.Count <= free.Count;

    /// <summary>Grows the block table to hold `numTokens` tokens; check <see cref="CanAllocate"/> first.</summary>
    public void Allocate(List<int> blockTable, int numTokens)
    {
        if (!CanAllocate(blockTable, numTokens))
            throw new InvalidOperationException($"{numTokens} tokens need {BlocksFor(numTokens) - blockTable.Count} more KV blocks; {free.Count} are free");
        while (blockTable.Count < BlocksFor(numTokens))
        {
            var block = free.First!.Value;
            Evict(block);
            Take(block);
            blockTable.Add(block.Id);
        }
    }

    /// <summary>Registers the sequence's full blocks (of its first `numComputedTokens`) in the prefix cache.</summary>
    public void CacheFullBlocks(List<int> blockTable, Func<int, int> tokenAt, int numComputedTokens)
    {
        if (!IsPrefixCachingEnabled) return;
        var full = Math.Min(numComputedTokens / BlockSize, blockTable.Count);
        // Blocks register in order, so everything before the last hashed block is hashed already.
        var first = full;
        while (first > 0 && blocks[blockTable[first - 1]].Hash is null) first--;
        for (var i = first; i < full; i++)
        {
            var block = blocks[blockTable[i]];
            var parent = i == 0 ? BlockHash.Root : blocks[blockTable[i - 1]].Hash!.Value;
            block.Hash = BlockHash.Of(parent, tokenAt, i * BlockSize, BlockSize);
            block.Tokens = Enumerable.Range(i * BlockSize, BlockSize).Select(tokenAt).ToArray();
            cached.TryAdd(block.Hash.Value, block);
        }
    }

    /// <summary>Drops the sequence's references, last block first, and empties its table.</summary>
    public void Free(List<int> blockTable)
    {
        for (var i = blockTable.Count - 1; i >= 0; i--)
        {
            var block = blocks[blockTable[i]];
            if (--block.RefCount > 0) continue;
            if (block.Hash is null) block.FreeNode = free.AddFirst(block);
            else block.FreeNode = free.AddLast(block);
        }
        blockTable.Clear();
    }

    void Take(Block block)
    {
        if (block.FreeNode is { } node)
        {
            free.Remove(node);
            block.FreeNode = null;
        }
        block.RefCount++;
    }

    void Evict(Block block)
    {
        if (block.Hash is { } hash && cached.TryGetValue(hash, out var holder) && holder == block) cached.Remove(hash);
        block.Hash = null;
        block.Tokens = null;
    }

    bool Holds(Block block, Func<int, int> tokenAt, int start)
    {
        for (var i = 0; i < BlockSize; i++)
            if (block.Tokens![i] != tokenAt(start + i)) return false;
        return true;
    }
}
