using System.Text.Json;
using System.Text.Json.Nodes;
using Rex.Model.Models;

namespace Rex.Model.Config;

/// <summary>
/// Reads a Hugging Face `config.json` of any supported family into a <see cref="ModelConfig"/>, honouring every
/// field's default, after applying overrides as vLLM's `--hf-overrides` does (a JSON object merged into the file's:
/// `{"num_hidden_layers": 4}` serves a real model's shapes at fewer layers).
/// </summary>
public static class ModelConfigReader
{
    public const string FileName = "config.json";

    public static ModelConfig ReadDirectory(string modelDirectory, JsonObject? overrides = null) =>
        ReadFile(Path.Combine(modelDirectory, FileName), overrides);

    public static ModelConfig ReadFile(string path, JsonObject? overrides = null)
    {
        using var document = JsonFields.Parse(path);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new ModelConfigException($"{path}: the top level must be a JSON object");
        if (overrides is null) return Read(document.RootElement, path);
        var merged = Merged(JsonNode.Parse(document.RootElement.GetRawText())!.AsObject(), overrides);
        return Read(merged, $"{path} with overrides {overrides.ToJsonString()}");
    }

    /// <summary>A config.json held in memory; `source` names it in errors.</summary>
    public static ModelConfig Read(JsonObject config, string source)
    {
        using var document = JsonDocument.Parse(config.ToJsonString());
        return Read(document.RootElement, source);
    }

    static ModelConfig Read(JsonElement root, string source)
    {
        var fields = new JsonFields(root, source, "");
        var family = ModelFamilies.Of(fields);
        var config = family.Read(fields);
        return (config with { EosTokenIds = fields.IntOrIntList("eos_token_id") ?? family.DefaultEosTokenIds }).Validate(source);
    }

    /// <summary>
    /// `config` with `overrides` merged in: objects merge key by key (so {"attn_config": {"clip_qkv": 4}} keeps DBRX's
    /// other attention fields); anything else replaces.
    /// </summary>
    public static JsonObject Merged(JsonObject config, JsonObject overrides)
    {
        var merged = config.DeepClone().AsObject();
        Merge(merged, overrides);
        return merged;
    }

    static void Merge(JsonObject target, JsonObject overrides)
    {
        foreach (var (key, value) in overrides)
        {
            if (value is JsonObject nested && target[key] is JsonObject existing) Merge(existing, nested);
            else target[key] = value?.DeepClone();
        }
    }
}
