using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>DBRX's LayerNorm: a weight and no bias, eps 1e-5.</summary>
public static class LayerNorm
{
    const double Eps = 1e-5;

    // x: [rows, d_model], weight: [d_model]
    public static Tensor Apply(Tensor x, Tensor weight) =>
        nn.functional.layer_norm(x, [weight.shape[0]], weight, null, Eps);
}
