using Rex.Model.Cache;
using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>
/// A decoder layer less its routed experts: what runs where the KV cache lives. Input norm, attention, residual
/// add and post-attention norm (<see cref="Forward"/>); then, for a MoE layer, the router (<see cref="Route"/>, a
/// call of its own so the gateway's step profile can time it apart from attention); and the feed-forward work that
/// needs no expert silo (<see cref="LocalFeedForward"/>): a dense layer's MLP, or a MoE layer's shared expert, which
/// the gateway runs while the routed experts' rows are away.
/// </summary>
public sealed class DecoderLayer(Norm inputNorm, Attention attention, Norm postAttentionNorm, Router? router, GluMlp? localMlp) : IDisposable
{
    /// <summary>Whether the layer's feed-forward half is routed experts (with <see cref="Route"/>), not a dense MLP.</summary>
    public bool IsMoe => router is not null;

    // hidden: [rows, hidden]
    public AttentionOutput Forward(Tensor hidden, ForwardBatch batch)
    {
        var residual = hidden + attention.Forward(inputNorm.Apply(hidden), batch);
        return new AttentionOutput(residual, postAttentionNorm.Apply(residual));
    }

    // normed: [rows, hidden], the Normed of Forward's output
    public RoutingDecision Route(Tensor normed) =>
        (router ?? throw new InvalidOperationException("a dense layer has no router")).Route(normed);

    /// <summary>normed: [rows, hidden] -> [rows, hidden] to add to the residual, or null when the layer has no such part.</summary>
    public Tensor? LocalFeedForward(Tensor normed) => localMlp?.Forward(normed);

    public void Dispose()
    {
        inputNorm.Dispose();
        attention.Dispose();
        postAttentionNorm.Dispose();
        router?.Dispose();
        localMlp?.Dispose();
    }
}
