using Rex.Model.Checkpoint;

namespace Rex.Model.Models;

/// <summary>
/// The tensor names that most Hugging Face decoders share (Llama's layout: `model.embed_tokens`,
/// `model.layers.{i}.self_attn.{q,k,v,o}_proj`, `input_layernorm`, `post_attention_layernorm`, `model.norm`,
/// `lm_head`); a family adds where its MoE block keeps the router, the experts and whatever else it has.
/// </summary>
internal static class HfDecoderTensors
{
    public static string Layer(int layer) => $"model.layers.{layer}";

    public static TensorNames With(Func<int, string> router, ExpertTensorNames experts) => new()
    {
        Embedding = "model.embed_tokens",
        FinalNorm = "model.norm",
        LmHead = "lm_head",
        InputNorm = l => $"{Layer(l)}.input_layernorm",
        PostAttentionNorm = l => $"{Layer(l)}.post_attention_layernorm",
        Qkv = new SeparateQkvTensorNames(l => $"{Layer(l)}.self_attn.q_proj", l => $"{Layer(l)}.self_attn.k_proj", l => $"{Layer(l)}.self_attn.v_proj"),
        Output = l => $"{Layer(l)}.self_attn.o_proj",
        QNorm = l => $"{Layer(l)}.self_attn.q_norm",
        KNorm = l => $"{Layer(l)}.self_attn.k_norm",
        Router = router,
        Experts = experts,
    };

    /// <summary>Qwen's and OLMoE's MoE block: `mlp.gate` routes to `mlp.experts.{e}.{gate,up,down}_proj`; a dense layer's MLP is `mlp.{gate,up,down}_proj`.</summary>
    public static TensorNames QwenStyle() => With(l => $"{Layer(l)}.mlp.gate",
        new PerExpertTensorNames((l, e) => $"{Layer(l)}.mlp.experts.{e}.gate_proj", (l, e) => $"{Layer(l)}.mlp.experts.{e}.up_proj",
            (l, e) => $"{Layer(l)}.mlp.experts.{e}.down_proj")) with
    {
        DenseMlp = new GluTensorNames(l => $"{Layer(l)}.mlp.gate_proj", l => $"{Layer(l)}.mlp.up_proj", l => $"{Layer(l)}.mlp.down_proj"),
    };
}
