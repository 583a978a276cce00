using TorchSharp;
using static TorchSharp.torch;

namespace Rex.Model.Config;

/// <summary>The gate activation of the GLU MLPs (`hidden_act`, DBRX's `ffn_config.ffn_act_fn.name`; Hugging Face ACT2FN names).</summary>
public enum ExpertActivation
{
    Silu,
    Gelu,
    GeluTanh,
    Relu,
}

public static class ExpertActivationExtensions
{
    /// <param name="field">The field the name came from, for the error; `where` names the file.</param>
    public static ExpertActivation Parse(string name, string field, string where) => name switch
    {
        "silu" or "swish" => ExpertActivation.Silu,
        "gelu" => ExpertActivation.Gelu,
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => ExpertActivation.GeluTanh,
        "relu" => ExpertActivation.Relu,
        _ => throw new ModelConfigException(
            $"{where}: {field} '{name}' is not supported (silu, swish, gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu)"),
    };

    public static Tensor Apply(this ExpertActivation activation, Tensor x) => activation switch
    {
        ExpertActivation.Silu => nn.functional.silu(x),
        ExpertActivation.Gelu => nn.functional.gelu(x),
        ExpertActivation.GeluTanh => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        ExpertActivation.Relu => nn.functional.relu(x),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };
}
