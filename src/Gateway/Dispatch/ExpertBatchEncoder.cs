using Google.Protobuf;
using Rex.Protos.DataPlane;
using Rex.Silo.DataPlane;

namespace Rex.Gateway.Dispatch;

/// <summary>
/// Serializes one planned message: the layer's rows it needs, copied out of the layer's host bytes, and one slice
/// per expert replica with its rows and router weights. The data plane's wire format on the gateway side.
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
        var hidden = new byte[message.Rows.Count * rowBytes];
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
            // The array is built for this message alone and never written again: no second copy.
            Hidden = UnsafeByteOperations.UnsafeWrap(hidden),
            Traceparent = traceparent,
        };
        foreach (var slice in message.Slices)
        {
            var wire = new ExpertSlice { Expert = slice.Route.Key.Expert, Replica = slice.Route.Key.Replica };
            wire.Rows.AddRange(slice.LocalRows);
            wire.Weights.AddRange(slice.Weights);
            request.Slices.Add(wire);
        }
        return request;
    }
}
