using Rex.Model.Cache;
using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>What the attention half of a block hands to the router and the expert half.</summary>
/// <param name="Residual">[rows, d_model]: the block input plus attention; the expert output is added to it.</param>
/// <param name="Normed">[rows, d_model]: norm_2 of the residual, the router's and the experts' input.</param>
public sealed record AttentionOutput(Tensor Residual, Tensor Normed);

/// <summary>
/// The attention half of a DBRX block, which runs where the KV cache lives: norm_1, attention, residual add,
/// norm_2 (<see cref="Forward"/>), then the router (<see cref="Route"/>), a call of its own so the gateway's step
/// profile can time it apart from attention.
/// </summary>
public sealed class AttentionBlock(Tensor attentionNorm, Attention attention, Tensor ffnNorm, Router router) : IDisposable
{
    // hidden: [rows, d_model]
    public AttentionOutput Forward(Tensor hidden, ForwardBatch batch)
    {
        var residual = hidden + attention.Forward(LayerNorm.Apply(hidden, attentionNorm), batch);
        return new AttentionOutput(residual, LayerNorm.Apply(residual, ffnNorm));
    }

    // normed: [rows, d_model], the Normed of Forward's output
    public RoutingDecision Route(Tensor normed) => router.Route(normed);

    public void Dispose()
    {
        attentionNorm.Dispose();
        attention.Dispose();
        ffnNorm.Dispose();
        router.Dispose();
    }
}
