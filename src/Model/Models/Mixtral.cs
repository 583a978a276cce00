using System.Text.Json.Nodes;
using Rex.Model.Checkpoint;
using Rex.Model.Config;

namespace Rex.Model.Models;

/// <summary>
/// Mixtral (`MixtralForCausalLM`): RMSNorm; separate q/k/v/o projections without biases; GQA; rotate-half RoPE; a
/// float32 softmax router whose top-k weights are renormalised to sum to 1; experts
/// `w2(silu(w1 x) * w3 x)` under `block_sparse_moe.experts.{e}`. Defaults are transformers' MixtralConfig.
/// </summary>
internal sealed class Mixtral : IModelFamily
{
    public string ModelType => "mixtral";

    public string Architecture => "MixtralForCausalLM";

    static readonly ConfigFieldNames Fields = new() { NumExperts = "num_local_experts", ExpertIntermediateSize = "intermediate_size" };

    static string Moe(int layer) => $"{HfDecoderTensors.Layer(layer)}.block_sparse_moe";

    static readonly TensorNames Tensors = HfDecoderTensors.With(l => $"{Moe(l)}.gate",
        new PerExpertTensorNames((l, e) => $"{Moe(l)}.experts.{e}.w1", (l, e) => $"{Moe(l)}.experts.{e}.w3", (l, e) => $"{Moe(l)}.experts.{e}.w2"));

    public ModelConfig Read(JsonFields config)
    {
        var hidden = config.Int("hidden_size", 4096);
        var heads = config.Int("num_attention_heads", 32);
        HfConfigFields.RefuseSlidingWindow(config, config.NullableInt("sliding_window") is not null, "sliding_window");
        return new ModelConfig
        {
            ModelType = ModelType,
            HiddenSize = hidden,
            NumLayers = config.Int("num_hidden_layers", 32),
            VocabSize = config.Int("vocab_size", 32000),
            MaxPositionEmbeddings = config.Int("max_position_embeddings", 4096 * 32),
            Attention = new AttentionConfig
            {
                NumHeads = heads,
                NumKvHeads = config.Int("num_key_value_heads", 8),
                HeadDim = HfConfigFields.HeadDim(config, hidden, heads),
                RopeTheta = HfConfigFields.RopeTheta(config, 1e6),
            },
            Norm = new NormConfig(NormKind.RmsNorm, config.Double("rms_norm_eps", 1e-5)),
            Moe = new MoeConfig
            {
                NumExperts = config.Int("num_local_experts", 8),
                TopK = config.Int("num_experts_per_tok", 2),
                IntermediateSize = config.Int("intermediate_size", 14336),
                Activation = HfConfigFields.Activation(config, "silu"),
                NormalizeTopKP = 1,
            },
            TieWordEmbeddings = config.Bool("tie_word_embeddings", false),
            Tensors = Tensors,
            Fields = Fields,
        };
    }

    /// <summary>The shapes of the tests' mixtral-tiny fixture.</summary>
    public JsonObject TinyConfig() => HfConfigFields.Tiny(this, new JsonObject
    {
        ["intermediate_size"] = 128,
        ["num_key_value_heads"] = 2,
        ["num_local_experts"] = 4,
        ["num_experts_per_tok"] = 2,
        ["max_position_embeddings"] = 32768,
        ["rms_norm_eps"] = 1e-5,
        ["rope_theta"] = 1e6,
        ["sliding_window"] = null,
        ["vocab_size"] = 512,
        ["eos_token_id"] = 2,
    });
}
