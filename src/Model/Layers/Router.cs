using Rex.Model.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>
/// DBRX's router: a linear layer to expert logits, softmax in float32, top-k, and the top-k weights divided by
/// their p-norm (`moe_normalize_expert_weights`; none when null).
/// </summary>
public sealed class Router(DbrxConfig config, Tensor weight) : IDisposable
{
    // x: [rows, d_model] -> experts [rows, top_k] int64, weights [rows, top_k] float32
    public RoutingDecision Route(Tensor x)
    {
        var probabilities = nn.functional.linear(x, weight).softmax(-1, ScalarType.Float32);
        var (top, experts) = probabilities.topk(config.TopK, dim: -1);
        if (config.ExpertWeightNormP is { } p)
            top = top / linalg.vector_norm(top, p, [-1], keepdim: true);
        return new RoutingDecision(experts, top);
    }

    public void Dispose() => weight.Dispose();
}
