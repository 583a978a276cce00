using Rex.Model.Config;
using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>
/// One DBRX expert: `(act(x w1^T) * (x v1^T)) w2`, each weight `[ffn_hidden_size, d_model]`; w2 is used
/// untransposed (it is stored as the transpose of a down projection).
/// </summary>
public sealed class ExpertGlu(ExpertActivation activation, Tensor w1, Tensor v1, Tensor w2) : IDisposable
{
    // x: [rows, d_model] -> [rows, d_model]
    public Tensor Forward(Tensor x)
    {
        var gate = activation.Apply(nn.functional.linear(x, w1));
        var up = nn.functional.linear(x, v1);
        return (gate * up).matmul(w2);
    }

    public void Dispose()
    {
        w1.Dispose();
        v1.Dispose();
        w2.Dispose();
    }
}
