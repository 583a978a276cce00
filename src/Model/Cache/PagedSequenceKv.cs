using static TorchSharp.torch;

namespace Rex.Model.Cache;

/// <summary>
/// One sequence's slots in a <see cref="PagedKvPool"/> for one step. Reading gathers the sequence's keys and values
/// into contiguous tensors: a copy per layer that a fused paged-attention kernel would avoid, but TorchSharp has
/// none, and for the context lengths a CPU serves the gather costs less than the attention itself.
/// </summary>
public sealed class PagedSequenceKv : ISequenceKv, IDisposable
{
    readonly PagedKvPool pool;
    readonly long[] slotIndices; // every position's slot, old and new
    Tensor? slots;               // slotIndices on the pool's device, once this sequence is attended on its own

    internal PagedSequenceKv(PagedKvPool pool, IReadOnlyList<int> blockTable, int numComputedTokens, int numNewTokens)
    {
        var total = numComputedTokens + numNewTokens;
        if (total > blockTable.Count * pool.BlockSize)
            throw new InvalidOperationException(
                $"{total} tokens need {(total + pool.BlockSize - 1) / pool.BlockSize} KV blocks; the block table has {blockTable.Count}");
        this.pool = pool;
        NumNewTokens = numNewTokens;
        Length = numComputedTokens;
        slotIndices = new long[total];
        for (var p = 0; p < total; p++) slotIndices[p] = (long)blockTable[p / pool.BlockSize] * pool.BlockSize + p % pool.BlockSize;
    }

    public int Length { get; private set; }

    internal PagedKvPool Pool => pool;

    internal int NumNewTokens { get; }

    /// <summary>Every position's slot for this step, the stored ones and then the new ones.</summary>
    internal IReadOnlyList<long> Slots => slotIndices;

    public (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        if (k.shape[0] != NumNewTokens)
            throw new InvalidOperationException($"this step stores {NumNewTokens} rows per layer, not {k.shape[0]}");
        // Made at the first layer rather than with the view: a sequence attended in a decode group never needs it.
        // It serves every layer of the step, so it leaves the caller's per-layer dispose scope and goes with the view.
        slots ??= tensor(slotIndices, ScalarType.Int64, pool.Device).DetachFromDisposeScope();
        pool.Write(layer, slots.narrow(0, Length, NumNewTokens), k, v);
        var (keys, values) = pool.Read(layer, slots);
        return (keys.transpose(0, 1), values.transpose(0, 1));
    }

    public void Commit(int n) => Length += n;

    public void Dispose() => slots?.Dispose();
}
