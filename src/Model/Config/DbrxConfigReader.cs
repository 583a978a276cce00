using System.Text.Json;

namespace Rex.Model.Config;

/// <summary>Reads a Hugging Face `config.json` for `model_type: dbrx`, honouring every field's default.</summary>
public static class DbrxConfigReader
{
    public const string FileName = "config.json";

    public static DbrxConfig ReadDirectory(string modelDirectory) => ReadFile(Path.Combine(modelDirectory, FileName));

    public static DbrxConfig ReadFile(string path)
    {
        using var document = JsonFields.Parse(path);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new ModelConfigException($"{path}: the top level must be a JSON object");
        return Read(new JsonFields(document.RootElement, path, ""), path);
    }

    static DbrxConfig Read(JsonFields root, string path)
    {
        var modelType = root.String("model_type");
        if (modelType != "dbrx")
            throw root.Error("model_type", modelType is null ? "is missing (expected \"dbrx\")" : $"'{modelType}' is not supported (expected \"dbrx\")");
        if (root.Bool("tie_word_embeddings", false))
            throw root.Error("tie_word_embeddings", "= true is not supported for DBRX (it has an untied lm_head)");

        var defaults = new DbrxConfig();
        var attn = root.Object("attn_config");
        var ffn = root.Object("ffn_config");
        var activation = ffn?.Object("ffn_act_fn")?.String("name") ?? "silu";
        var ropeTheta = attn?.Double("rope_theta", defaults.RopeTheta) ?? defaults.RopeTheta;
        // transformers 5 writes the base frequency as rope_parameters.rope_theta at the top level.
        if (root.Object("rope_parameters") is { } rope)
        {
            var ropeType = rope.String("rope_type") ?? rope.String("type") ?? "default";
            if (ropeType != "default")
                throw rope.Error("rope_type", $"'{ropeType}' is not supported (DBRX uses the default rotary embedding)");
            ropeTheta = rope.Double("rope_theta", ropeTheta);
        }

        return new DbrxConfig
        {
            DModel = root.Int("d_model", defaults.DModel),
            NumHeads = root.Int("n_heads", defaults.NumHeads),
            NumLayers = root.Int("n_layers", defaults.NumLayers),
            MaxSeqLen = root.Int("max_seq_len", defaults.MaxSeqLen),
            VocabSize = root.Int("vocab_size", defaults.VocabSize),
            NumKvHeads = attn?.Int("kv_n_heads", defaults.NumKvHeads) ?? defaults.NumKvHeads,
            ClipQkv = attn?.NullableDouble("clip_qkv", defaults.ClipQkv) ?? defaults.ClipQkv,
            RopeTheta = ropeTheta,
            FfnHiddenSize = ffn?.Int("ffn_hidden_size", defaults.FfnHiddenSize) ?? defaults.FfnHiddenSize,
            NumExperts = ffn?.Int("moe_num_experts", defaults.NumExperts) ?? defaults.NumExperts,
            TopK = ffn?.Int("moe_top_k", defaults.TopK) ?? defaults.TopK,
            ExpertWeightNormP = ffn is { } f ? f.NullableDouble("moe_normalize_expert_weights", defaults.ExpertWeightNormP) : defaults.ExpertWeightNormP,
            Activation = ExpertActivationExtensions.Parse(activation, path),
        }.Validate(path);
    }
}
