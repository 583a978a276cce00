namespace Rex.Model.Checkpoint;

/// <summary>Tensor names of the Hugging Face DBRX layout (`DbrxForCausalLM`).</summary>
public static class DbrxTensorNames
{
    public const string Embedding = "transformer.wte.weight";
    public const string FinalNorm = "transformer.norm_f.weight";
    public const string LmHead = "lm_head.weight";

    public static string AttentionNorm(int layer) => $"transformer.blocks.{layer}.norm_attn_norm.norm_1.weight";
    public static string Wqkv(int layer) => $"transformer.blocks.{layer}.norm_attn_norm.attn.Wqkv.weight";
    public static string OutProj(int layer) => $"transformer.blocks.{layer}.norm_attn_norm.attn.out_proj.weight";
    public static string FfnNorm(int layer) => $"transformer.blocks.{layer}.norm_attn_norm.norm_2.weight";
    public static string Router(int layer) => $"transformer.blocks.{layer}.ffn.router.layer.weight";

    /// <summary>Fused expert weights, each `[moe_num_experts * ffn_hidden_size, d_model]`; expert e owns rows [e * ffn, (e + 1) * ffn).</summary>
    public static string ExpertW1(int layer) => $"transformer.blocks.{layer}.ffn.experts.mlp.w1";
    public static string ExpertV1(int layer) => $"transformer.blocks.{layer}.ffn.experts.mlp.v1";
    public static string ExpertW2(int layer) => $"transformer.blocks.{layer}.ffn.experts.mlp.w2";
}
