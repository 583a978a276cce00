using Rex.Protos.DataPlane;
using static TorchSharp.torch;

namespace Rex.Gateway.Dispatch;

/// <summary>
/// One message's answer: from the wire, the data plane's reply (its partial sum as bytes, its status); from the
/// expert silo in this process, the partial sum as a tensor, [rows of the layer, d_model] on the gateway's device
/// (zero outside the message's rows), owned by whoever combines it.
/// </summary>
public sealed record ExpertReply(ExpertPartial? Wire, Tensor? InProcess, long ComputeMicros)
{
    public static ExpertReply FromWire(ExpertPartial reply) => new(reply, null, reply.ComputeMicros);
}
