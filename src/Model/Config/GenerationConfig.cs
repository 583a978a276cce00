using System.Text.Json;

namespace Rex.Model.Config;

/// <summary>
/// The model's generation defaults from `generation_config.json`: the token ids that end a generation.
/// Absent file: DBRX's `&lt;|endoftext|&gt;` (100257) and `&lt;|im_end|&gt;` (100279).
/// </summary>
public sealed record GenerationConfig(IReadOnlyList<int> EosTokenIds)
{
    public const string FileName = "generation_config.json";

    public static GenerationConfig Dbrx { get; } = new([100257, 100279]);

    public static GenerationConfig ReadDirectory(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, FileName);
        if (!File.Exists(path)) return Dbrx;
        using var document = JsonFields.Parse(path);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new ModelConfigException($"{path}: the top level must be a JSON object");
        var fields = new JsonFields(document.RootElement, path, "");
        return new GenerationConfig(fields.IntOrIntList("eos_token_id") ?? Dbrx.EosTokenIds);
    }
}
