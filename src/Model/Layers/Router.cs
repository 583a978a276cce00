using Rex.Model.Config;
using Rex.Model.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>
/// A MoE layer's router: a linear layer to expert logits, then the family's scoring (softmax in float32 then
/// top-k, or top-k then a softmax over the k) and, where the config asks, the top-k weights divided by their
/// p-norm (p = 1: renormalised to sum to 1).
/// </summary>
public sealed class Router(MoeConfig config, Tensor weight) : IDisposable
{
    // x: [rows, hidden] -> experts [rows, top_k] int64, weights [rows, top_k] float32
    public RoutingDecision Route(Tensor x)
    {
        var logits = SkinnyGemm.Linear(x, weight);
        Tensor top, experts;
        if (config.Scoring == RouterScoring.SoftmaxThenTopK)
        {
            (top, experts) = logits.softmax(-1, ScalarType.Float32).topk(config.TopK, dim: -1);
        }
        else
        {
            (top, experts) = logits.topk(config.TopK, dim: -1);
            top = top.softmax(-1, ScalarType.Float32);
        }
        if (config.NormalizeTopKP is { } p)
            top = top / linalg.vector_norm(top, p, [-1], keepdim: true);
        return new RoutingDecision(experts, top);
    }

    public void Dispose() => weight.Dispose();
}
