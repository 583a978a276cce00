using System.Buffers;
using static TorchSharp.torch;

namespace Rex.Gateway.Dispatch;

/// <summary>
/// One layer's rows for one micro-batch, shared by its messages: the header, the rows as a tensor on the gateway's
/// device (what an in-process expert silo reads), and their host bytes, made only once a message goes over the wire.
/// </summary>
public sealed class LayerBatch
{
    readonly Lock hostGate = new();
    byte[]? hidden;

    /// <param name="rows">[rows, hidden_size] on the gateway's device; the batch keeps its own reference to the same
    /// storage (the engine's step scope may dispose the caller's first) and releases it in <see cref="Release"/>.</param>
    public LayerBatch(string model, ulong step, int layer, int microBatch, ScalarType dtype, Tensor rows)
    {
        Model = model;
        Step = step;
        Layer = layer;
        MicroBatch = microBatch;
        DType = dtype;
        HiddenSize = (int)rows.size(1);
        Rows = rows.detach().DetachFromDisposeScope();
    }

    public string Model { get; }

    public ulong Step { get; }

    public int Layer { get; }

    public int MicroBatch { get; }

    public int HiddenSize { get; }

    /// <summary>The data plane's dtype: the gateway's compute dtype.</summary>
    public ScalarType DType { get; }

    /// <summary>[rows, hidden_size] on the gateway's device.</summary>
    public Tensor Rows { get; }

    /// <summary>
    /// [rows, hidden_size] values of <see cref="DType"/>, little-endian, at the start of a pooled array (it may be
    /// longer): made on first use, from whichever thread encodes the first message for the wire.
    /// </summary>
    public byte[] Hidden
    {
        get
        {
            lock (hostGate) return hidden ??= HostBytes();
        }
    }

    // A layer's rows are the largest buffer a step allocates on the host: pooled.
    byte[] HostBytes()
    {
        // A scope for the conversion's intermediates; `to` may return the batch's own tensor, which it must not dispose.
        using var scope = NewDisposeScope();
        var bytes = Rows.to(DType, CPU).contiguous().bytes;
        var host = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(host);
        return host;
    }

    /// <summary>Once nothing reads the batch any more (every message answered): the host bytes back to the pool, the rows released.</summary>
    public void Release()
    {
        lock (hostGate)
        {
            if (hidden is not null) ArrayPool<byte>.Shared.Return(hidden);
            hidden = null;
        }
        Rows.Dispose();
    }
}
