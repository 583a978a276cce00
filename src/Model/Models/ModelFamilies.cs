using System.Text.Json.Nodes;
using Rex.Model.Config;
using Rex.Model.Tokenization;

namespace Rex.Model.Models;

/// <summary>The model families Rex serves, found by config.json's `model_type` (or, without one, its `architectures`).</summary>
public static class ModelFamilies
{
    static readonly IModelFamily[] All = [new Dbrx(), new Mixtral(), new Qwen2Moe(), new Qwen3Moe(), new Olmoe()];

    /// <summary>The `model_type` of every supported family.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(f => f.ModelType).ToArray();

    /// <summary>config.json of a tiny random model of a family (what `rex model init-tiny --family` writes).</summary>
    public static JsonObject TinyConfig(string family) => Named(family).TinyConfig();

    /// <summary>The tokenizer of a model of this family whose directory holds none; null: token ids only.</summary>
    public static ITokenizer? DefaultTokenizer(string family) => Named(family).DefaultTokenizer;

    internal static IModelFamily Named(string family) =>
        All.FirstOrDefault(f => f.ModelType == family)
        ?? throw new ArgumentException($"family '{family}' is not supported; supported: {string.Join(", ", Names)}", nameof(family));

    internal static IModelFamily Of(JsonFields config)
    {
        var modelType = config.String("model_type");
        if (modelType is not null)
            return All.FirstOrDefault(f => f.ModelType == modelType)
                ?? throw config.Error("model_type", $"'{modelType}' is not supported; Rex serves {Supported()}");
        var architectures = config.Element.TryGetProperty("architectures", out var a) && a.ValueKind == System.Text.Json.JsonValueKind.Array
            ? a.EnumerateArray().Select(x => x.GetString()).ToArray()
            : [];
        return All.FirstOrDefault(f => architectures.Contains(f.Architecture))
            ?? throw config.Error("model_type", $"is missing and architectures [{string.Join(", ", architectures)}] names no supported family; Rex serves {Supported()}");
    }

    static string Supported() => string.Join(", ", All.Select(f => $"{f.ModelType} ({f.Architecture})"));
}
