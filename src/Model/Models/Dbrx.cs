using System.Text.Json.Nodes;
using Rex.Model.Checkpoint;
using Rex.Model.Config;
using Rex.Model.Tokenization;

namespace Rex.Model.Models;

/// <summary>
/// DBRX (`DbrxForCausalLM`): LayerNorm without bias (eps 1e-5); one fused Wqkv clamped to ±clip_qkv; rotate-half
/// RoPE; a float32 softmax router whose top-k weights are divided by their p-norm (`moe_normalize_expert_weights`,
/// default 1); experts fused per layer as w1 (gate), v1 (up) and w2 (the transposed down projection); untied LM head.
/// Defaults are transformers' DbrxConfig / DbrxAttentionConfig / DbrxFFNConfig; training-only fields are ignored.
/// </summary>
internal sealed class Dbrx : IModelFamily
{
    public string ModelType => "dbrx";

    public string Architecture => "DbrxForCausalLM";

    /// <summary>cl100k's `&lt;|endoftext|&gt;` and DBRX's `&lt;|im_end|&gt;`.</summary>
    public IReadOnlyList<int> DefaultEosTokenIds => [100257, 100279];

    /// <summary>DBRX's tokenizer is tiktoken's cl100k_base with DBRX's added tokens, which Rex carries.</summary>
    public ITokenizer DefaultTokenizer => DbrxTokenizer.Default;

    static readonly ConfigFieldNames Fields = new()
    {
        HiddenSize = "d_model",
        NumLayers = "n_layers",
        MaxPositionEmbeddings = "max_seq_len",
        NumHeads = "n_heads",
        NumKvHeads = "attn_config.kv_n_heads",
        HeadDim = "d_model / n_heads",
        ClipQkv = "attn_config.clip_qkv",
        RopeTheta = "attn_config.rope_theta",
        NumExperts = "ffn_config.moe_num_experts",
        TopK = "ffn_config.moe_top_k",
        ExpertIntermediateSize = "ffn_config.ffn_hidden_size",
        NormalizeTopK = "ffn_config.moe_normalize_expert_weights",
    };

    static string Block(int layer) => $"transformer.blocks.{layer}";

    static readonly TensorNames Tensors = new()
    {
        Embedding = "transformer.wte",
        FinalNorm = "transformer.norm_f",
        LmHead = "lm_head",
        InputNorm = l => $"{Block(l)}.norm_attn_norm.norm_1",
        PostAttentionNorm = l => $"{Block(l)}.norm_attn_norm.norm_2",
        Qkv = new FusedQkvTensorNames(l => $"{Block(l)}.norm_attn_norm.attn.Wqkv"),
        Output = l => $"{Block(l)}.norm_attn_norm.attn.out_proj",
        Router = l => $"{Block(l)}.ffn.router.layer",
        Experts = new FusedExpertTensorNames(l => $"{Block(l)}.ffn.experts.mlp.w1", l => $"{Block(l)}.ffn.experts.mlp.v1",
            l => $"{Block(l)}.ffn.experts.mlp.w2"),
    };

    public ModelConfig Read(JsonFields root)
    {
        if (root.Bool("tie_word_embeddings", false))
            throw root.Error("tie_word_embeddings", "= true is not supported for DBRX (it has an untied lm_head)");
        var attn = root.Object("attn_config");
        var ffn = root.Object("ffn_config");
        var hidden = root.Int("d_model", 2048);
        var heads = root.Int("n_heads", 16);
        if (heads > 0 && hidden % heads != 0) throw root.Error("d_model", $"= {hidden} must be divisible by n_heads ({heads})");
        var ropeTheta = HfConfigFields.RopeTheta(root, attn?.Double("rope_theta", 10000) ?? 10000);
        return new ModelConfig
        {
            ModelType = ModelType,
            HiddenSize = hidden,
            NumLayers = root.Int("n_layers", 24),
            VocabSize = root.Int("vocab_size", 32000),
            MaxPositionEmbeddings = root.Int("max_seq_len", 2048),
            Attention = new AttentionConfig
            {
                NumHeads = heads,
                NumKvHeads = attn?.Int("kv_n_heads", 1) ?? 1,
                HeadDim = heads > 0 ? hidden / heads : 0,
                ClipQkv = attn?.NullableDouble("clip_qkv", null),
                RopeTheta = ropeTheta,
            },
            Norm = new NormConfig(NormKind.LayerNorm, 1e-5),
            Moe = new MoeConfig
            {
                NumExperts = ffn?.Int("moe_num_experts", 4) ?? 4,
                TopK = ffn?.Int("moe_top_k", 1) ?? 1,
                IntermediateSize = ffn?.Int("ffn_hidden_size", 3584) ?? 3584,
                Activation = ExpertActivationExtensions.Parse(ffn?.Object("ffn_act_fn")?.String("name") ?? "silu", "ffn_config.ffn_act_fn.name",
                    root.Source),
                NormalizeTopKP = ffn is { } f ? f.NullableDouble("moe_normalize_expert_weights", 1) : 1,
            },
            Tensors = Tensors,
            Fields = Fields,
        };
    }

    /// <summary>The shapes of the tests' dbrx-tiny fixture: the built-in model's.</summary>
    public JsonObject TinyConfig() => new()
    {
        ["architectures"] = new JsonArray(Architecture),
        ["model_type"] = ModelType,
        ["d_model"] = 64,
        ["n_heads"] = 4,
        ["n_layers"] = 2,
        ["max_seq_len"] = 2048,
        ["vocab_size"] = 100352,
        ["attn_config"] = new JsonObject { ["kv_n_heads"] = 2, ["rope_theta"] = 500000.0, ["clip_qkv"] = 8.0 },
        ["ffn_config"] = new JsonObject
        {
            ["ffn_act_fn"] = new JsonObject { ["name"] = "silu" },
            ["ffn_hidden_size"] = 32,
            ["moe_num_experts"] = 16,
            ["moe_top_k"] = 4,
            ["moe_normalize_expert_weights"] = 1.0,
        },
        ["tie_word_embeddings"] = false,
        ["torch_dtype"] = "bfloat16",
    };
}
