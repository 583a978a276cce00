using System.Text.Json.Nodes;
using Rex.Model.Checkpoint;
using Rex.Model.Config;

namespace Rex.Model.Models;

/// <summary>
/// Qwen3-MoE (`Qwen3MoeForCausalLM`): RMSNorm; an explicit `head_dim` (heads x head_dim need not be hidden_size);
/// q_norm and k_norm, RMSNorms over each head applied before RoPE; projection biases only with `attention_bias`;
/// a float32 softmax router, top-k renormalised only with `norm_topk_prob`; no shared expert; layers in
/// `mlp_only_layers` or off the `decoder_sparse_step` grid are a dense MLP. Defaults are transformers' Qwen3MoeConfig.
/// </summary>
internal sealed class Qwen3Moe : IModelFamily
{
    public string ModelType => "qwen3_moe";

    public string Architecture => "Qwen3MoeForCausalLM";

    static readonly TensorNames Tensors = HfDecoderTensors.QwenStyle();

    public ModelConfig Read(JsonFields config)
    {
        var hidden = config.Int("hidden_size", 2048);
        var heads = config.Int("num_attention_heads", 32);
        var layers = config.Int("num_hidden_layers", 24);
        var bias = config.Bool("attention_bias", false);
        HfConfigFields.RefuseSlidingWindow(config, config.Bool("use_sliding_window", false), "use_sliding_window");
        return new ModelConfig
        {
            ModelType = ModelType,
            HiddenSize = hidden,
            NumLayers = layers,
            VocabSize = config.Int("vocab_size", 151936),
            MaxPositionEmbeddings = config.Int("max_position_embeddings", 32768),
            Attention = new AttentionConfig
            {
                NumHeads = heads,
                NumKvHeads = config.Int("num_key_value_heads", 4),
                HeadDim = HfConfigFields.HeadDim(config, hidden, heads),
                QkvBias = bias,
                OutputBias = bias,
                QkNorm = QkNormKind.PerHead,
                RopeTheta = HfConfigFields.RopeTheta(config, 10000),
            },
            Norm = new NormConfig(NormKind.RmsNorm, config.Double("rms_norm_eps", 1e-6)),
            Moe = new MoeConfig
            {
                NumExperts = config.Int("num_experts", 128),
                TopK = config.Int("num_experts_per_tok", 8),
                IntermediateSize = config.Int("moe_intermediate_size", 768),
                Activation = HfConfigFields.Activation(config, "silu"),
                NormalizeTopKP = config.Bool("norm_topk_prob", false) ? 1 : null,
            },
            DenseLayers = QwenMoeLayers.Dense(config, layers),
            DenseIntermediateSize = config.Int("intermediate_size", 6144),
            TieWordEmbeddings = config.Bool("tie_word_embeddings", false),
            Tensors = Tensors,
        };
    }

    /// <summary>The shapes of the tests' qwen3_moe-tiny fixture.</summary>
    public JsonObject TinyConfig() => HfConfigFields.Tiny(this, new JsonObject
    {
        ["head_dim"] = 32,
        ["intermediate_size"] = 192,
        ["num_key_value_heads"] = 2,
        ["num_experts"] = 8,
        ["num_experts_per_tok"] = 2,
        ["moe_intermediate_size"] = 48,
        ["norm_topk_prob"] = true,
        ["decoder_sparse_step"] = 1,
        ["mlp_only_layers"] = new JsonArray(),
        ["attention_bias"] = false,
        ["max_position_embeddings"] = 40960,
        ["rms_norm_eps"] = 1e-6,
        ["rope_theta"] = 1e6,
        ["use_sliding_window"] = false,
        ["vocab_size"] = 576,
        ["eos_token_id"] = 562,
    });
}
