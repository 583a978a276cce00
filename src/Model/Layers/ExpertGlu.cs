using Rex.Model.Config;
using Rex.Model.Tensors;
using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>
/// One routed expert: `down(act(gate(x)) * up(x))`, gate and up `[ffn, hidden]`, down `[hidden, ffn]`, each contiguous
/// as Hugging Face's linear layers store them. DBRX's fused w2 is the transposed down projection; it is transposed once
/// at load, because a `[ffn, hidden]` right-hand matrix is the slow case of the CPU matrix product: 8x slower in bf16
/// at one row, 30x at 16 rows, and 1.5x slower in float32 at 4 to 16 rows (measured on the 2-core VM, ffn 4096, hidden
/// 2048), while the product with the transposed view of a `[hidden, ffn]` matrix runs at the linear layer's speed.
/// </summary>
public sealed class ExpertGlu : IDisposable
{
    readonly ExpertActivation activation;
    readonly Tensor gate;
    readonly Tensor up;
    readonly Tensor down;
    readonly Tensor downTransposed; // a view of down: [ffn, hidden]

    public ExpertGlu(ExpertActivation activation, Tensor gate, Tensor up, Tensor down)
    {
        this.activation = activation;
        this.gate = gate;
        this.up = up;
        this.down = down;
        downTransposed = down.t();
    }

    /// <summary>
    /// x: [rows, hidden] -> output: [rows, hidden], written in place (its previous contents are ignored, NaN
    /// included), so that several experts can fill the row ranges of one tensor without a copy each.
    /// </summary>
    public void ForwardInto(Tensor x, Tensor output)
    {
        using var scope = NewDisposeScope();
        var hidden = activation.Apply(SkinnyGemm.Linear(x, gate)).mul_(SkinnyGemm.Linear(x, up));
        if (SkinnyGemm.Applies(hidden, down) && output.stride(1) == 1) SkinnyGemm.Into(hidden, down, output);
        else output.addmm_(hidden, downTransposed, beta: 0, alpha: 1);
    }

    public void Dispose()
    {
        gate.Dispose();
        up.Dispose();
        downTransposed.Dispose();
        down.Dispose();
    }
}
