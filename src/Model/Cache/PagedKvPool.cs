using static TorchSharp.torch;

namespace Rex.Model.Cache;

/// <summary>
/// The serving engine's KV cache: for every layer, `NumBlocks * BlockSize` token slots of keys and values shared by
/// all sequences. Which slots a sequence owns is the block manager's bookkeeping; this class only holds the
/// tensors. Position p of a sequence with block table T lives in slot T[p / BlockSize] * BlockSize + p % BlockSize.
/// </summary>
public sealed class PagedKvPool : IDisposable
{
    readonly Tensor[] keys;   // per layer: [num_blocks * block_size, kv_heads, head_dim]
    readonly Tensor[] values; // per layer: [num_blocks * block_size, kv_heads, head_dim]

    public PagedKvPool(int numLayers, int numKvHeads, int headDim, int numBlocks, int blockSize, ScalarType dtype, Device device)
    {
        if (numBlocks < 1) throw new ArgumentOutOfRangeException(nameof(numBlocks), numBlocks, "the KV cache needs at least one block");
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "KvBlockSize must be at least 1");
        NumBlocks = numBlocks;
        BlockSize = blockSize;
        Device = device;
        keys = new Tensor[numLayers];
        values = new Tensor[numLayers];
        for (var layer = 0; layer < numLayers; layer++)
        {
            keys[layer] = empty([numBlocks * (long)blockSize, numKvHeads, headDim], dtype, device);
            values[layer] = empty([numBlocks * (long)blockSize, numKvHeads, headDim], dtype, device);
        }
    }

    public int NumBlocks { get; }

    public int BlockSize { get; }

    public Device Device { get; }

    /// <summary>Bytes one block takes over all layers, keys and values: what a memory budget is divided by.</summary>
    public static long BytesPerBlock(int numLayers, int numKvHeads, int headDim, int blockSize, ScalarType dtype) =>
        2L * numLayers * blockSize * numKvHeads * headDim * ElementSize(dtype);

    static long ElementSize(ScalarType dtype)
    {
        using var one = empty(1, dtype);
        return one.ElementSize;
    }

    /// <summary>A sequence's view for one step: its block table, the tokens already stored and the new ones coming.</summary>
    public PagedSequenceKv View(IReadOnlyList<int> blockTable, int numComputedTokens, int numNewTokens) =>
        new(this, blockTable, numComputedTokens, numNewTokens);

    // slots: [n] int64; k, v: [n, kv_heads, head_dim]
    internal void Write(int layer, Tensor slots, Tensor k, Tensor v)
    {
        keys[layer].index_copy_(0, slots, k);
        values[layer].index_copy_(0, slots, v);
    }

    // slots: [n] int64 -> ([n, kv_heads, head_dim], [n, kv_heads, head_dim])
    internal (Tensor Keys, Tensor Values) Read(int layer, Tensor slots) =>
        (keys[layer].index_select(0, slots), values[layer].index_select(0, slots));

    public void Dispose()
    {
        foreach (var t in keys) t.Dispose();
        foreach (var t in values) t.Dispose();
    }
}
