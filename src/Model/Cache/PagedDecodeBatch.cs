using static TorchSharp.torch;

namespace Rex.Model.Cache;

/// <summary>
/// The decode rows of one step whose sequences keep their keys and values in one <see cref="PagedKvPool"/>, stored
/// and read together: per layer one write and one gather for all of them, where <see cref="PagedSequenceKv"/> takes
/// a write and a gather each (a dozen TorchSharp calls per sequence and layer, most of a decode step's attention time
/// at concurrency 32). Shorter sequences are padded to the longest with their own newest slot, which holds finite
/// values (garbage in a free slot could be NaN, and a NaN times attention weight 0 is NaN), and masked out; the
/// caller groups sequences so that padding at most doubles what is gathered (<see cref="ForwardBatch"/>).
/// </summary>
public sealed class PagedDecodeBatch : IDisposable
{
    readonly PagedKvPool pool;
    readonly Tensor newSlots;    // [n] int64: each sequence's slot for its new token
    readonly Tensor gatherSlots; // [n * max_len] int64: each sequence's slots, padded
    readonly int count;
    readonly int maxLength;

    /// <param name="sequences">Each bringing one new token, all from the same pool.</param>
    /// <param name="rows">Where each sequence's new token sits among the step's rows.</param>
    public PagedDecodeBatch(IReadOnlyList<PagedSequenceKv> sequences, IReadOnlyList<int> rows)
    {
        if (sequences.Count == 0) throw new ArgumentException("a decode batch needs at least one sequence", nameof(sequences));
        if (rows.Count != sequences.Count) throw new ArgumentException($"{sequences.Count} sequences with {rows.Count} rows", nameof(rows));
        pool = sequences[0].Pool;
        count = sequences.Count;
        maxLength = sequences.Max(s => s.Slots.Count);
        var newer = new long[count];
        var gather = new long[count * maxLength];
        var visible = new bool[count * maxLength];
        for (var i = 0; i < count; i++)
        {
            var sequence = sequences[i];
            if (sequence.Pool != pool) throw new ArgumentException("the sequences of a decode batch must share one KV pool", nameof(sequences));
            if (sequence.NumNewTokens != 1)
                throw new ArgumentException($"a decode batch takes one new token per sequence, not {sequence.NumNewTokens}", nameof(sequences));
            var slots = sequence.Slots;
            newer[i] = slots[^1];
            for (var p = 0; p < maxLength; p++)
            {
                gather[i * maxLength + p] = p < slots.Count ? slots[p] : slots[^1];
                visible[i * maxLength + p] = p < slots.Count;
            }
        }
        newSlots = tensor(newer, ScalarType.Int64, pool.Device);
        gatherSlots = tensor(gather, ScalarType.Int64, pool.Device);
        Mask = tensor(visible, ScalarType.Bool, pool.Device).view(count, 1, 1, maxLength);
        Rows = tensor(rows.Select(r => (long)r).ToArray(), ScalarType.Int64, pool.Device);
    }

    /// <summary>How many sequences (and rows) the batch holds.</summary>
    public int Count => count;

    /// <summary>[n] int64: the step's rows of the sequences' new tokens, in the batch's order.</summary>
    public Tensor Rows { get; }

    /// <summary>[n, 1, 1, max_len] bool: true where a sequence has a token, false on its padding.</summary>
    public Tensor Mask { get; }

    /// <summary>
    /// Stores every sequence's new row for one layer and returns all their keys and values, padded.
    /// k, v: [n, kv_heads, head_dim] -> ([n, kv_heads, max_len, head_dim], [n, kv_heads, max_len, head_dim])
    /// </summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        if (k.shape[0] != count) throw new InvalidOperationException($"this decode batch stores {count} rows per layer, not {k.shape[0]}");
        pool.Write(layer, newSlots, k, v);
        var (keys, values) = pool.Read(layer, gatherSlots);
        return (Padded(keys), Padded(values));
    }

    // [n * max_len, kv_heads, head_dim] -> [n, kv_heads, max_len, head_dim]
    Tensor Padded(Tensor rows) => rows.view(count, maxLength, rows.shape[1], rows.shape[2]).transpose(1, 2);

    public void Dispose()
    {
        newSlots.Dispose();
        gatherSlots.Dispose();
        Mask.Dispose();
        Rows.Dispose();
    }
}
