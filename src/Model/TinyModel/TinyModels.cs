using System.Text.Json.Nodes;
using Rex.Model.Config;
using Rex.Model.Models;
using Rex.Model.Tokenization;

namespace Rex.Model.TinyModel;

/// <summary>
/// Tiny random models of every supported family (`rex model init-tiny --family F`): the family's tiny config.json,
/// random weights, and generation_config.json; DBRX's also gets its cl100k tokenizer_config.json, so that text
/// prompts work. Families without a tokenizer here take token ids only.
/// </summary>
public static class TinyModels
{
    /// <param name="overrides">Merged into the family's tiny config.json, as --hf-overrides are (other shapes, other options).</param>
    public static ModelConfig Write(string directory, string family, RandomCheckpoint.Options options, JsonObject? overrides = null)
    {
        var configJson = overrides is null ? ModelFamilies.TinyConfig(family) : ModelConfigReader.Merged(ModelFamilies.TinyConfig(family), overrides);
        var config = RandomCheckpoint.Write(directory, configJson, options);
        RandomCheckpoint.WriteJson(Path.Combine(directory, GenerationConfig.FileName), new JsonObject
        {
            ["eos_token_id"] = new JsonArray(config.EosTokenIds.Select(id => (JsonNode)id).ToArray()),
        });
        if (config.ModelType == "dbrx") RandomCheckpoint.WriteJson(Path.Combine(directory, DbrxTokenizer.ConfigFileName), DbrxTokenizerConfig());
        return config;
    }

    static JsonObject DbrxTokenizerConfig()
    {
        var added = new JsonObject();
        foreach (var (id, content) in new[] { (100257, "<|endoftext|>"), (100277, "<|pad|>"), (100278, "<|im_start|>"), (100279, "<|im_end|>") })
            added[id.ToString()] = new JsonObject { ["content"] = content, ["special"] = true };
        return new JsonObject
        {
            ["tokenizer_class"] = "TiktokenTokenizerWrapper",
            ["encoding_name"] = "cl100k_base",
            ["add_bos_token"] = false,
            ["eos_token"] = "<|endoftext|>",
            ["pad_token"] = "<|pad|>",
            ["added_tokens_decoder"] = added,
        };
    }
}
