using Rex.Model.Config;
using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>
/// One routed expert: `(act(x gate^T) * (x up^T)) down^T`, gate and up `[ffn, hidden]`. The down projection is
/// held as `downTransposed` `[ffn, hidden]`: DBRX stores it so; a `[hidden, ffn]` down projection is passed as its
/// transposed view, which the matrix product reads without a copy.
/// </summary>
public sealed class ExpertGlu(ExpertActivation activation, Tensor gate, Tensor up, Tensor downTransposed) : IDisposable
{
    /// <summary>
    /// x: [rows, hidden] -> output: [rows, hidden], written in place (its previous contents are ignored, NaN
    /// included), so that several experts can fill the row ranges of one tensor without a copy each.
    /// </summary>
    public void ForwardInto(Tensor x, Tensor output)
    {
        using var scope = NewDisposeScope();
        var hidden = activation.Apply(nn.functional.linear(x, gate)).mul_(nn.functional.linear(x, up));
        output.addmm_(hidden, downTransposed, beta: 0, alpha: 1);
    }

    public void Dispose()
    {
        gate.Dispose();
        up.Dispose();
        downTransposed.Dispose();
    }
}
