using System.Text.Json.Nodes;
using Rex.Model.Checkpoint;
using Rex.Model.Config;

namespace Rex.Model.Models;

/// <summary>
/// OLMoE (`OlmoeForCausalLM`): RMSNorm; q_norm and k_norm, RMSNorms over the whole q and k projections applied
/// before the split into heads; then q, k and v clamped to ±clip_qkv when it is set; biases only with
/// `attention_bias`; rotate-half RoPE; a float32 softmax router, top-k renormalised only with `norm_topk_prob`;
/// experts of `intermediate_size`. Defaults are transformers' OlmoeConfig.
/// </summary>
internal sealed class Olmoe : IModelFamily
{
    public string ModelType => "olmoe";

    public string Architecture => "OlmoeForCausalLM";

    static readonly ConfigFieldNames Fields = new() { ExpertIntermediateSize = "intermediate_size" };

    static readonly TensorNames Tensors = HfDecoderTensors.QwenStyle() with { DenseMlp = null };

    public ModelConfig Read(JsonFields config)
    {
        var hidden = config.Int("hidden_size", 2048);
        var heads = config.Int("num_attention_heads", 16);
        var bias = config.Bool("attention_bias", false);
        return new ModelConfig
        {
            ModelType = ModelType,
            HiddenSize = hidden,
            NumLayers = config.Int("num_hidden_layers", 16),
            VocabSize = config.Int("vocab_size", 50304),
            MaxPositionEmbeddings = config.Int("max_position_embeddings", 4096),
            Attention = new AttentionConfig
            {
                NumHeads = heads,
                NumKvHeads = config.NullableInt("num_key_value_heads") ?? heads,
                HeadDim = HfConfigFields.HeadDim(config, hidden, heads),
                QkvBias = bias,
                OutputBias = bias,
                QkNorm = QkNormKind.Full,
                ClipQkv = config.NullableDouble("clip_qkv", null),
                RopeTheta = HfConfigFields.RopeTheta(config, 10000),
            },
            Norm = new NormConfig(NormKind.RmsNorm, config.Double("rms_norm_eps", 1e-5)),
            Moe = new MoeConfig
            {
                NumExperts = config.Int("num_experts", 64),
                TopK = config.Int("num_experts_per_tok", 8),
                IntermediateSize = config.Int("intermediate_size", 2048),
                Activation = HfConfigFields.Activation(config, "silu"),
                NormalizeTopKP = config.Bool("norm_topk_prob", false) ? 1 : null,
            },
            TieWordEmbeddings = config.Bool("tie_word_embeddings", false),
            Tensors = Tensors,
            Fields = Fields,
        };
    }

    /// <summary>The shapes of the tests' olmoe-tiny fixture.</summary>
    public JsonObject TinyConfig() => HfConfigFields.Tiny(this, new JsonObject
    {
        ["intermediate_size"] = 32,
        ["num_key_value_heads"] = 4,
        ["num_experts"] = 8,
        ["num_experts_per_tok"] = 2,
        ["norm_topk_prob"] = false,
        ["clip_qkv"] = null,
        ["attention_bias"] = false,
        ["max_position_embeddings"] = 4096,
        ["rms_norm_eps"] = 1e-5,
        ["rope_theta"] = 10000.0,
        ["vocab_size"] = 704,
        ["eos_token_id"] = 680,
    });
}
