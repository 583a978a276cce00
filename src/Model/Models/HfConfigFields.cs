using System.Text.Json.Nodes;
using Rex.Model.Config;

namespace Rex.Model.Models;

/// <summary>Fields that Hugging Face configs of several families spell and default the same way.</summary>
internal static class HfConfigFields
{
    /// <summary>
    /// The RoPE base frequency: `rope_theta`, or transformers 5's `rope_parameters.rope_theta`. Scaled variants
    /// (`rope_scaling` / `rope_parameters.rope_type` other than default) change every position's angle and are refused
    /// rather than served wrong.
    /// </summary>
    public static double RopeTheta(JsonFields config, double fallback)
    {
        var theta = config.Double("rope_theta", fallback);
        foreach (var field in new[] { "rope_scaling", "rope_parameters" })
        {
            if (config.Object(field) is not { } rope) continue;
            var ropeType = rope.String("rope_type") ?? rope.String("type") ?? "default";
            if (ropeType != "default")
                throw rope.Error("rope_type", $"'{ropeType}' is not supported (Rex implements the default rotary embedding)");
            theta = rope.Double("rope_theta", theta);
        }
        return theta;
    }

    /// <summary>`head_dim`, else hidden_size / num_attention_heads (rounded down, as transformers does).</summary>
    public static int HeadDim(JsonFields config, int hiddenSize, int numHeads) =>
        config.NullableInt("head_dim") ?? (numHeads > 0 ? hiddenSize / numHeads : 0);

    public static ExpertActivation Activation(JsonFields config, string fallback) =>
        ExpertActivationExtensions.Parse(config.String("hidden_act") ?? fallback, "hidden_act", config.Source);

    /// <summary>
    /// A tiny config.json of a Hugging Face family: what the families' tiny models share (hidden size 64, 2 layers of 4
    /// heads, SiLU, untied embeddings, bf16) and the family's own fields.
    /// </summary>
    public static JsonObject Tiny(IModelFamily family, JsonObject own)
    {
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray(family.Architecture),
            ["model_type"] = family.ModelType,
            ["hidden_size"] = 64,
            ["num_hidden_layers"] = 2,
            ["num_attention_heads"] = 4,
            ["hidden_act"] = "silu",
            ["tie_word_embeddings"] = false,
            ["torch_dtype"] = "bfloat16",
        };
        foreach (var (key, value) in own) config[key] = value?.DeepClone();
        return config;
    }

    /// <summary>Sliding-window attention changes what every layer attends to beyond the window; Rex does not implement it yet.</summary>
    public static void RefuseSlidingWindow(JsonFields config, bool enabled, string field)
    {
        if (enabled) throw config.Error(field, "enables sliding-window attention, which Rex does not implement yet");
    }
}
