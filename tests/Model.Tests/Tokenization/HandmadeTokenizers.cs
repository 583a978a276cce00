using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rex.Model.Tokenization;
using Rex.Tests;

namespace Rex.Model.Tests.Tokenization;

/// <summary>
/// The hand-made tokenizer.json files in tests/fixtures/tokenizers (Qwen2-style byte-level BPE, Mixtral-style
/// metaspace with byte fallback) and what an independent implementation made of its texts (expected.json).
/// </summary>
internal static class HandmadeTokenizers
{
    public const string ByteLevel = "byte-level";
    public const string Metaspace = "metaspace";

    static readonly ConcurrentDictionary<string, HfTokenizer> Loaded = new();
    static readonly Lazy<Dictionary<string, ReferenceCase[]>> Expected = new(() =>
        JsonSerializer.Deserialize<Dictionary<string, ReferenceCase[]>>(File.ReadAllText(Path.Combine(Folder, "expected.json")),
            new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })!);

    public static string Folder => Path.Combine(TestPaths.Fixtures, "tokenizers");

    public static string Directory(string name) => Path.Combine(Folder, name);

    public static string Json(string name) => Path.Combine(Directory(name), HfTokenizer.FileName);

    public static HfTokenizer Get(string name) => Loaded.GetOrAdd(name, n => HfTokenizer.Load(Json(n)));

    public static ReferenceCase Case(string name, int index) => Expected.Value[name][index];

    /// <summary>The texts of expected.json (the same for every tokenizer).</summary>
    public static IEnumerable<string> ReferenceTexts => Expected.Value[ByteLevel].Select(c => c.Text);

    /// <summary>Writes `name`'s tokenizer.json, changed, into `directory`; returns its path.</summary>
    public static string WriteVariant(string name, string directory, Action<JsonObject> change)
    {
        var json = JsonNode.Parse(File.ReadAllText(Json(name)))!.AsObject();
        change(json);
        var path = Path.Combine(directory, HfTokenizer.FileName);
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    /// <summary>Every (tokenizer, case index) of expected.json.</summary>
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var (name, cases) in Expected.Value)
            for (var i = 0; i < cases.Length; i++) data.Add(name, i);
        return data;
    }
}
