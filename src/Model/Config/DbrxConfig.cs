namespace Rex.Model.Config;

/// <summary>
/// A DBRX model's shape and behaviour, from a Hugging Face `config.json` with `model_type: dbrx`.
/// Defaults are those of transformers' DbrxConfig / DbrxAttentionConfig / DbrxFFNConfig.
/// Training-only fields (dropouts, moe_jitter_eps, moe_loss_weight, router_aux_loss_coef) do not change inference.
/// </summary>
public sealed record DbrxConfig
{
    public int DModel { get; init; } = 2048;
    public int NumHeads { get; init; } = 16;
    public int NumLayers { get; init; } = 24;
    public int MaxSeqLen { get; init; } = 2048;
    public int VocabSize { get; init; } = 32000;

    /// <summary>`attn_config.kv_n_heads`: key/value heads shared by groups of query heads (GQA).</summary>
    public int NumKvHeads { get; init; } = 1;

    /// <summary>`attn_config.clip_qkv`: the fused QKV projection is clamped to ±this before the split; null = no clipping.</summary>
    public double? ClipQkv { get; init; }

    public double RopeTheta { get; init; } = 10000.0;

    public int FfnHiddenSize { get; init; } = 3584;
    public int NumExperts { get; init; } = 4;
    public int TopK { get; init; } = 1;

    /// <summary>`ffn_config.moe_normalize_expert_weights`: the p of the p-norm the top-k weights are divided by; null = none.</summary>
    public double? ExpertWeightNormP { get; init; } = 1.0;

    public ExpertActivation Activation { get; init; } = ExpertActivation.Silu;

    public int HeadDim => DModel / NumHeads;
    public int KvDim => NumKvHeads * HeadDim;

    /// <summary>Rows of the fused Wqkv projection: queries, then keys, then values.</summary>
    public int QkvDim => DModel + 2 * KvDim;

    /// <summary>Throws <see cref="ModelConfigException"/> naming the first inconsistent field; `source` names the file.</summary>
    public DbrxConfig Validate(string source)
    {
        Require(DModel > 0, "d_model", DModel, "must be positive");
        Require(NumHeads > 0, "n_heads", NumHeads, "must be positive");
        Require(NumLayers > 0, "n_layers", NumLayers, "must be positive");
        Require(MaxSeqLen > 0, "max_seq_len", MaxSeqLen, "must be positive");
        Require(VocabSize > 0, "vocab_size", VocabSize, "must be positive");
        Require(DModel % NumHeads == 0, "d_model", DModel, $"must be divisible by n_heads ({NumHeads})");
        Require(HeadDim % 2 == 0, "d_model", DModel, $"gives an odd head size {HeadDim} (d_model / n_heads); rotary embeddings need an even one");
        Require(NumKvHeads > 0, "attn_config.kv_n_heads", NumKvHeads, "must be positive");
        Require(NumHeads % NumKvHeads == 0, "attn_config.kv_n_heads", NumKvHeads, $"must divide n_heads ({NumHeads})");
        Require(ClipQkv is null || ClipQkv >= 0, "attn_config.clip_qkv", ClipQkv, "must be non-negative or null");
        Require(RopeTheta > 0, "attn_config.rope_theta", RopeTheta, "must be positive");
        Require(FfnHiddenSize > 0, "ffn_config.ffn_hidden_size", FfnHiddenSize, "must be positive");
        Require(NumExperts > 0, "ffn_config.moe_num_experts", NumExperts, "must be positive");
        Require(TopK > 0, "ffn_config.moe_top_k", TopK, "must be positive");
        Require(TopK <= NumExperts, "ffn_config.moe_top_k", TopK, $"must not exceed ffn_config.moe_num_experts ({NumExperts})");
        Require(ExpertWeightNormP is null || ExpertWeightNormP > 0, "ffn_config.moe_normalize_expert_weights", ExpertWeightNormP,
            "must be a positive p or null");
        return this;

        void Require(bool condition, string field, object? value, string rule)
        {
            if (!condition)
                throw new ModelConfigException($"{source}: {field} = {value?.ToString() ?? "null"} {rule}");
        }
    }
}
