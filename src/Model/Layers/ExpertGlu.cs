using Rex.Model.Config;
using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>
/// One DBRX expert: `(act(x w1^T) * (x v1^T)) w2`, each weight `[ffn_hidden_size, d_model]`; w2 is used
/// untransposed (it is stored as the transpose of a down projection).
/// </summary>
public sealed class ExpertGlu(ExpertActivation activation, Tensor w1, Tensor v1, Tensor w2) : IDisposable
{
    /// <summary>
    /// x: [rows, d_model] -> output: [rows, d_model], written in place (its previous contents are ignored, NaN
    /// included), so that several experts can fill the row ranges of one tensor without a copy each.
    /// </summary>
    public void ForwardInto(Tensor x, Tensor output)
    {
        using var scope = NewDisposeScope();
        var gate = activation.Apply(nn.functional.linear(x, w1)).mul_(nn.functional.linear(x, v1));
        output.addmm_(gate, w2, beta: 0, alpha: 1);
    }

    public void Dispose()
    {
        w1.Dispose();
        v1.Dispose();
        w2.Dispose();
    }
}
