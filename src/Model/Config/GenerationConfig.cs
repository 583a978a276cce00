using System.Text.Json;

namespace Rex.Model.Config;

/// <summary>
/// The model's generation defaults from `generation_config.json`: the token ids that end a generation. Absent file
/// or field: config.json's (<see cref="ModelConfig.EosTokenIds"/>), as transformers derives a generation config
/// from the model config.
/// </summary>
public sealed record GenerationConfig(IReadOnlyList<int> EosTokenIds)
{
    public const string FileName = "generation_config.json";

    public static GenerationConfig ReadDirectory(string modelDirectory, ModelConfig config)
    {
        var path = Path.Combine(modelDirectory, FileName);
        if (!File.Exists(path)) return new GenerationConfig(config.EosTokenIds);
        using var document = JsonFields.Parse(path);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new ModelConfigException($"{path}: the top level must be a JSON object");
        var fields = new JsonFields(document.RootElement, path, "");
        return new GenerationConfig(fields.IntOrIntList("eos_token_id") ?? config.EosTokenIds);
    }
}
