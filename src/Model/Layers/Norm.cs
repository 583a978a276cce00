using Rex.Model.Config;
using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>A norm over the last dimension with its weight: DBRX's bias-free LayerNorm, or RMSNorm.</summary>
public sealed class Norm(NormConfig config, Tensor weight) : IDisposable
{
    // x: [..., size] -> [..., size]
    public Tensor Apply(Tensor x)
    {
        if (config.Kind == NormKind.LayerNorm) return nn.functional.layer_norm(x, [weight.shape[0]], weight, null, config.Eps);
        // As Hugging Face's RMSNorm: the statistics in float32, back to the input's dtype, then times the weight.
        using var scope = NewDisposeScope();
        var x32 = x.to(ScalarType.Float32);
        var normed = x32.mul(x32.square().mean([-1], keepdim: true).add_(config.Eps).rsqrt_()).to(x.dtype);
        return normed.mul_(weight).MoveToOuterDisposeScope();
    }

    public void Dispose() => weight.Dispose();
}
