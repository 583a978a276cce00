namespace Rex.Model.Config;

/// <summary>Which normalisation a model's blocks use.</summary>
public enum NormKind
{
    /// <summary>LayerNorm with a weight and no bias (DBRX).</summary>
    LayerNorm,

    /// <summary>RMSNorm: x / sqrt(mean(x²) + eps) in float32, then times the weight (Llama, Mixtral, Qwen, OLMoE).</summary>
    RmsNorm,
}

/// <summary>A model's normalisation: its kind and epsilon (`rms_norm_eps`, or LayerNorm's 1e-5).</summary>
public sealed record NormConfig(NormKind Kind, double Eps);
