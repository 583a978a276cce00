using System.Buffers;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Rex.Protos.DataPlane;
using Rex.Silo.DataPlane;

namespace Rex.Gateway.Dispatch;

/// <summary>
/// Serializes one planned message: the layer's rows it needs, copied out of the layer's host bytes, and one slice
/// per expert replica with its rows and router weights. The data plane's wire format on the gateway side. The rows'
/// bytes are the bulk of a message (16 rows of d_model 1024 in float32: 64 KiB); they live in a pooled array that
/// <see cref="Release"/> gives back once the message is on the wire.
/// </summary>
public static class ExpertBatchEncoder
{
    /// <summary>A round's messages, in its order.</summary>
    public static ExpertBatch[] Encode(LayerBatch batch, IReadOnlyList<SiloMessagePlan> round, string traceparent)
    {
        var requests = new ExpertBatch[round.Count];
        for (var i = 0; i < round.Count; i++) requests[i] = Encode(batch, round[i], traceparent);
        return requests;
    }

    /// <param name="traceparent">The dispatch span's W3C trace context, or empty when the step is not traced.</param>
    public static ExpertBatch Encode(LayerBatch batch, SiloMessagePlan message, string traceparent)
    {
        var rowBytes = batch.HiddenSize * WireDType.ElementSize(WireDType.FromScalarType(batch.DType));
        var length = message.Rows.Count * rowBytes;
        var hidden = ArrayPool<byte>.Shared.Rent(length);
        for (var i = 0; i < message.Rows.Count; i++)
            Buffer.BlockCopy(batch.Hidden, message.Rows[i] * rowBytes, hidden, i * rowBytes, rowBytes);
        var request = new ExpertBatch
        {
            Model = batch.Model,
            Step = batch.Step,
            Layer = batch.Layer,
            MicroBatch = batch.MicroBatch,
            NumRows = message.Rows.Count,
            HiddenSize = batch.HiddenSize,
            Dtype = WireDType.FromScalarType(batch.DType),
            // Nothing writes the array until Release: no second copy.
            Hidden = UnsafeByteOperations.UnsafeWrap(hidden.AsMemory(0, length)),
            Traceparent = traceparent,
        };
        for (var s = 0; s < message.Slices.Count; s++)
        {
            var slice = message.Slices[s];
            var wire = new ExpertSlice { Expert = slice.Route.Key.Expert, Replica = slice.Route.Key.Replica };
            wire.Rows.AddRange(slice.LocalRows);
            wire.Weights.AddRange(slice.Weights);
            request.Slices.Add(wire);
        }
        return request;
    }

    /// <summary>
    /// Gives an encoded request's rows back to the pool. Only once nothing can read the request again: its send has
    /// completed (gRPC serialized it before the write completed), and it is never sent again.
    /// </summary>
    public static void Release(ExpertBatch request)
    {
        if (MemoryMarshal.TryGetArray(request.Hidden.Memory, out var rows) && rows.Array is { Length: > 0 } array)
            ArrayPool<byte>.Shared.Return(array);
        request.Hidden = ByteString.Empty;
    }
}
