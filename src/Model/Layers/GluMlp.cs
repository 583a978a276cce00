using Rex.Model.Config;
using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>
/// A GLU MLP that runs on the gateway: `down(act(gate(x)) * up(x))`, the feed-forward half of a dense layer, or a
/// shared expert (optionally scaled per row by sigmoid(x · gate), as Qwen2-MoE's `shared_expert_gate`).
/// </summary>
public sealed class GluMlp(ExpertActivation activation, Linear gate, Linear up, Linear down, Linear? outputGate = null) : IDisposable
{
    // x: [rows, hidden] -> [rows, hidden]
    public Tensor Forward(Tensor x)
    {
        var output = down.Forward(activation.Apply(gate.Forward(x)).mul_(up.Forward(x)));
        return outputGate is null ? output : output.mul_(outputGate.Forward(x).sigmoid_());
    }

    public void Dispose()
    {
        gate.Dispose();
        up.Dispose();
        down.Dispose();
        outputGate?.Dispose();
    }
}
