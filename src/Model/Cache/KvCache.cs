using static TorchSharp.torch;

namespace Rex.Model.Cache;

/// <summary>
/// One sequence's keys and values for every layer, contiguous up to a fixed capacity
/// (prompt plus the most tokens it may generate). A step writes its new rows at [Length, Length + n) in
/// every layer, then <see cref="Commit"/> makes them part of the sequence.
/// </summary>
public sealed class KvCache : ISequenceKv, IDisposable
{
    readonly Tensor[] keys;   // per layer: [kv_heads, capacity, head_dim]
    readonly Tensor[] values; // per layer: [kv_heads, capacity, head_dim]

    public KvCache(int numLayers, int numKvHeads, int headDim, int capacity, ScalarType dtype, Device device)
    {
        Capacity = capacity;
        keys = new Tensor[numLayers];
        values = new Tensor[numLayers];
        for (var layer = 0; layer < numLayers; layer++)
        {
            keys[layer] = empty([numKvHeads, capacity, headDim], dtype, device);
            values[layer] = empty([numKvHeads, capacity, headDim], dtype, device);
        }
    }

    public int Capacity { get; }

    public int Length { get; private set; }

    public (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        var n = k.shape[0];
        if (Length + n > Capacity)
            throw new InvalidOperationException($"KV cache holds {Capacity} tokens; cannot append {n} to {Length}");
        keys[layer].narrow(1, Length, n).copy_(k.transpose(0, 1));
        values[layer].narrow(1, Length, n).copy_(v.transpose(0, 1));
        return (keys[layer].narrow(1, 0, Length + n), values[layer].narrow(1, 0, Length + n));
    }

    public void Commit(int n)
    {
        if (Length + n > Capacity) throw new InvalidOperationException($"KV cache holds {Capacity} tokens; cannot commit {n} to {Length}");
        Length += n;
    }

    public void Dispose()
    {
        foreach (var t in keys) t.Dispose();
        foreach (var t in values) t.Dispose();
    }
}
