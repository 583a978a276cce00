using Rex.Model.Config;
using Rex.Model.Tensors;
using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>
/// One routed expert: `down(act(gate(x)) * up(x))`, gate and up `[ffn, hidden]`, down `[hidden, ffn]`, as Hugging
/// Face's linear layers store them. Gate and up are stacked into one `[2 * ffn, hidden]` matrix on load, so one
/// product (one pass over the input rows, one call) yields both; each output element is still the same dot product.
/// DBRX's fused w2 is the transposed down projection; it is transposed once at load, because a `[ffn, hidden]`
/// right-hand matrix is the slow case of the CPU matrix product: 8x slower in bf16 at one row, 30x at 16 rows, and
/// 1.5x slower in float32 at 4 to 16 rows (measured on the 2-core VM, ffn 4096, hidden 2048), while the product with
/// the transposed view of a `[hidden, ffn]` matrix runs at the linear layer's speed.
/// </summary>
public sealed class ExpertGlu : IDisposable
{
    readonly ExpertActivation activation;
    readonly long ffn;
    readonly Tensor gateUp;         // [2 * ffn, hidden]: gate's rows, then up's
    readonly Tensor down;
    readonly Tensor downTransposed; // a view of down: [ffn, hidden]

    /// <summary><paramref name="gate"/> and <paramref name="up"/> are copied (the caller keeps them); <paramref name="down"/> is taken over.</summary>
    public ExpertGlu(ExpertActivation activation, Tensor gate, Tensor up, Tensor down)
    {
        this.activation = activation;
        ffn = gate.size(0);
        gateUp = cat([gate, up], 0);
        this.down = down;
        downTransposed = down.t();
    }

    /// <summary>
    /// x: [rows, hidden] -> output: [rows, hidden], written in place (its previous contents are ignored, NaN
    /// included), so that several experts can fill the row ranges of one tensor without a copy each.
    /// </summary>
    /// <param name="threads">Threads for its CPU products, as <see cref="SkinnyGemm.Into"/> takes them (0: its default).</param>
    public void ForwardInto(Tensor x, Tensor output, int threads = 0)
    {
        using var scope = NewDisposeScope();
        var projected = SkinnyGemm.Linear(x, gateUp, threads: threads); // [rows, 2 * ffn]
        var hidden = activation.Apply(projected.narrow(1, 0, ffn)).mul_(projected.narrow(1, ffn, ffn));
        if (SkinnyGemm.Applies(hidden, down) && output.stride(1) == 1) SkinnyGemm.Into(hidden, down, output, threads);
        else output.addmm_(hidden, downTransposed, beta: 0, alpha: 1);
    }

    /// <summary>Multiply-adds one row costs: gate, up and down, 3 x ffn x hidden.</summary>
    public long MultiplyAddsPerRow => gateUp.numel() + down.numel();

    public void Dispose()
    {
        gateUp.Dispose();
        downTransposed.Dispose();
        down.Dispose();
    }
}
