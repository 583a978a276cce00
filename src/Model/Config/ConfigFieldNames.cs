namespace Rex.Model.Config;

/// <summary>
/// How a family's config.json spells the fields that <see cref="ModelConfig.Validate"/> checks, so that an error
/// names the field the user wrote. The defaults are the names most Hugging Face configs use.
/// </summary>
public sealed record ConfigFieldNames
{
    public string HiddenSize { get; init; } = "hidden_size";
    public string NumLayers { get; init; } = "num_hidden_layers";
    public string VocabSize { get; init; } = "vocab_size";
    public string MaxPositionEmbeddings { get; init; } = "max_position_embeddings";
    public string NumHeads { get; init; } = "num_attention_heads";
    public string NumKvHeads { get; init; } = "num_key_value_heads";
    public string HeadDim { get; init; } = "head_dim";
    public string ClipQkv { get; init; } = "clip_qkv";
    public string RopeTheta { get; init; } = "rope_theta";
    public string NormEps { get; init; } = "rms_norm_eps";
    public string NumExperts { get; init; } = "num_experts";
    public string TopK { get; init; } = "num_experts_per_tok";
    public string ExpertIntermediateSize { get; init; } = "moe_intermediate_size";
    public string NormalizeTopK { get; init; } = "norm_topk_prob";
    public string SharedExpertIntermediateSize { get; init; } = "shared_expert_intermediate_size";
    public string DenseIntermediateSize { get; init; } = "intermediate_size";
    public string DenseLayers { get; init; } = "mlp_only_layers";
}
