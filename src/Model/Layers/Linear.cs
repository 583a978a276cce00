using Rex.Model.Tensors;
using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>A linear layer: weight `[out, in]` and an optional bias `[out]`.</summary>
public sealed class Linear(Tensor weight, Tensor? bias = null) : IDisposable
{
    // x: [rows, in] -> [rows, out]
    public Tensor Forward(Tensor x) => SkinnyGemm.Linear(x, weight, bias);

    public Tensor Weight => weight;

    public void Dispose()
    {
        weight.Dispose();
        bias?.Dispose();
    }
}
