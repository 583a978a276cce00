using System.Text.Json.Nodes;
using Rex.Model.Checkpoint;
using Rex.Model.Config;

namespace Rex.Model.Models;

/// <summary>
/// Qwen2-MoE (`Qwen2MoeForCausalLM`, Qwen1.5-MoE): RMSNorm; q/k/v projections with biases (`qkv_bias`), o without;
/// rotate-half RoPE; a float32 softmax router, top-k renormalised only with `norm_topk_prob`; on every MoE layer a
/// shared expert `shared_expert(x) * sigmoid(shared_expert_gate(x))` beside the routed ones; layers in
/// `mlp_only_layers` or off the `decoder_sparse_step` grid are a dense MLP of `intermediate_size`. Defaults are
/// transformers' Qwen2MoeConfig.
/// </summary>
internal sealed class Qwen2Moe : IModelFamily
{
    public string ModelType => "qwen2_moe";

    public string Architecture => "Qwen2MoeForCausalLM";

    static string Mlp(int layer) => $"{HfDecoderTensors.Layer(layer)}.mlp";

    static readonly TensorNames Tensors = HfDecoderTensors.QwenStyle() with
    {
        SharedExpert = new GluTensorNames(l => $"{Mlp(l)}.shared_expert.gate_proj", l => $"{Mlp(l)}.shared_expert.up_proj",
            l => $"{Mlp(l)}.shared_expert.down_proj"),
        SharedExpertGate = l => $"{Mlp(l)}.shared_expert_gate",
    };

    public ModelConfig Read(JsonFields config)
    {
        var hidden = config.Int("hidden_size", 2048);
        var heads = config.Int("num_attention_heads", 16);
        var layers = config.Int("num_hidden_layers", 24);
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
                NumKvHeads = config.Int("num_key_value_heads", 16),
                HeadDim = HfConfigFields.HeadDim(config, hidden, heads),
                QkvBias = config.Bool("qkv_bias", true),
                RopeTheta = HfConfigFields.RopeTheta(config, 10000),
            },
            Norm = new NormConfig(NormKind.RmsNorm, config.Double("rms_norm_eps", 1e-6)),
            Moe = new MoeConfig
            {
                NumExperts = config.Int("num_experts", 60),
                TopK = config.Int("num_experts_per_tok", 4),
                IntermediateSize = config.Int("moe_intermediate_size", 1408),
                Activation = HfConfigFields.Activation(config, "silu"),
                NormalizeTopKP = config.Bool("norm_topk_prob", false) ? 1 : null,
                SharedExpertIntermediateSize = config.Int("shared_expert_intermediate_size", 5632),
                SharedExpertGated = true,
            },
            DenseLayers = QwenMoeLayers.Dense(config, layers),
            DenseIntermediateSize = config.Int("intermediate_size", 5632),
            TieWordEmbeddings = config.Bool("tie_word_embeddings", false),
            Tensors = Tensors,
        };
    }

    /// <summary>The shapes of the tests' qwen2_moe-tiny fixture.</summary>
    public JsonObject TinyConfig() => HfConfigFields.Tiny(this, new JsonObject
    {
        ["intermediate_size"] = 128,
        ["num_key_value_heads"] = 4,
        ["num_experts"] = 8,
        ["num_experts_per_tok"] = 2,
        ["moe_intermediate_size"] = 32,
        ["shared_expert_intermediate_size"] = 96,
        ["norm_topk_prob"] = false,
        ["decoder_sparse_step"] = 1,
        ["mlp_only_layers"] = new JsonArray(),
        ["max_position_embeddings"] = 8192,
        ["rms_norm_eps"] = 1e-6,
        ["rope_theta"] = 1e6,
        ["use_sliding_window"] = false,
        ["vocab_size"] = 640,
        ["eos_token_id"] = 630,
    });
}
