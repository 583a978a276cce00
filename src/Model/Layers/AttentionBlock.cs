using Rex.Model.Cache;
using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>What the attention half of a block hands to the expert half and back.</summary>
/// <param name="Residual">[rows, d_model]: the block input plus attention; the expert output is added to it.</param>
/// <param name="Normed">[rows, d_model]: norm_2 of the residual, the experts' input.</param>
/// <param name="Routing">The router's choice for each row.</param>
public sealed record AttentionOutput(Tensor Residual, Tensor Normed, RoutingDecision Routing);

/// <summary>
/// The attention half of a DBRX block, which runs where the KV cache lives:
/// norm_1, attention, residual add, norm_2, router.
/// </summary>
public sealed class AttentionBlock(Tensor attentionNorm, Attention attention, Tensor ffnNorm, Router router) : IDisposable
{
    // hidden: [rows, d_model]
    public AttentionOutput Forward(Tensor hidden, ForwardBatch batch)
    {
        var residual = hidden + attention.Forward(LayerNorm.Apply(hidden, attentionNorm), batch);
        var normed = LayerNorm.Apply(residual, ffnNorm);
        return new AttentionOutput(residual, normed, router.Route(normed));
    }

    public void Dispose()
    {
        attentionNorm.Dispose();
        attention.Dispose();
        ffnNorm.Dispose();
        router.Dispose();
    }
}
