using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rex.Model.Config;

namespace Rex.Model.Tokenization;

/// <summary>
/// A Hugging Face tokenizer.json as Rex reads it: the BPE vocabulary, the added tokens with their `special` flag and
/// the decoder; and the two copies of it from which the tokenizers library encodes as <see cref="HfTokenizer"/> needs.
/// </summary>
internal sealed class TokenizerJson
{
    public sealed record AddedToken(int Id, string Content, bool Special);

    static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    readonly JsonObject root;

    TokenizerJson(string path, JsonObject root, Dictionary<string, int> vocabulary, List<AddedToken> addedTokens)
    {
        Path = path;
        this.root = root;
        Vocabulary = vocabulary;
        AddedTokens = addedTokens;
        Decoder = TokenizerJsonDecoder.Parse(root["decoder"], path);
    }

    public string Path { get; }
    public IReadOnlyDictionary<string, int> Vocabulary { get; }
    public IReadOnlyList<AddedToken> AddedTokens { get; }
    public TokenizerJsonDecoder Decoder { get; }

    public static TokenizerJson Read(string path)
    {
        if (Parse(path) is not JsonObject root) throw new ModelConfigException($"{path}: must be a JSON object");
        if (root["model"]?["vocab"] is not JsonObject vocab || (string?)root["model"]?["type"] is not (null or "BPE"))
            throw new ModelConfigException($"{path}: model must be BPE with a vocab object (the tokenizer of every family Rex serves)");
        var vocabulary = new Dictionary<string, int>(vocab.Count, StringComparer.Ordinal);
        foreach (var (token, id) in vocab) vocabulary[token] = (int)id!;
        var added = new List<AddedToken>();
        foreach (var token in root["added_tokens"] as JsonArray ?? [])
            added.Add(new AddedToken((int)token!["id"]!, (string)token["content"]!, (bool?)token["special"] ?? false));
        CheckNumbering(path, vocabulary, added);
        return new TokenizerJson(path, root, vocabulary, added);
    }

    /// <summary>
    /// For rendered templates: the file without its post-processor, so that nothing is added (the library's encode
    /// always asks for additions; without a post-processor there are none), and without truncation or padding.
    /// </summary>
    public void WriteForTemplates(Stream stream) => Write(stream, new() { ["post_processor"] = null });

    /// <summary>
    /// For ordinary text: the file with its post-processor (BOS stays), its special tokens unable to match, as
    /// Hugging Face's `split_special_tokens=True` encodes. The library matches every added token in any text and has
    /// no switch for it, and it numbers the added tokens outside the vocabulary by their order in the file, ignoring
    /// their ids: a special token that the vocabulary numbers is left out; any other keeps its place with a content no
    /// prompt will hold (a fresh random 128-bit string per load, never shown), so the tokens after it keep their ids.
    /// </summary>
    public void WriteForOrdinaryText(Stream stream)
    {
        var unmatchable = $"\uFFFF{Guid.NewGuid():N}-";
        var kept = new JsonArray();
        foreach (var (token, node) in AddedTokens.Zip(root["added_tokens"] as JsonArray ?? []))
        {
            if (token.Special && Vocabulary.ContainsKey(token.Content)) continue;
            var copy = node!.DeepClone();
            if (token.Special)
            {
                copy["content"] = unmatchable + token.Id;
                copy["normalized"] = false;
            }
            kept.Add(copy);
        }
        Write(stream, new() { ["added_tokens"] = kept });
    }

    // The library loads only files; the copies are written rather than the tree changed, so both come from one parse.
    void Write(Stream stream, Dictionary<string, JsonNode?> replaced)
    {
        replaced["truncation"] = null;
        replaced["padding"] = null;
        using var writer = new Utf8JsonWriter(stream, WriterOptions);
        writer.WriteStartObject();
        foreach (var (name, value) in root)
        {
            writer.WritePropertyName(name);
            var written = replaced.TryGetValue(name, out var replacement) ? replacement : value;
            if (written is null) writer.WriteNullValue();
            else written.WriteTo(writer);
        }
        writer.WriteEndObject();
    }

    static JsonNode? Parse(string path)
    {
        if (!File.Exists(path)) throw new ModelConfigException($"{path}: file not found");
        try
        {
            return JsonNode.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new ModelConfigException($"{path}: invalid JSON: {e.Message}", e);
        }
    }

    // The library numbers an added token the vocabulary lacks by its place in the file, after the vocabulary; Rex's
    // tables use the ids the file states, so the two must agree (they do in every file Hugging Face writes).
    static void CheckNumbering(string path, Dictionary<string, int> vocabulary, List<AddedToken> added)
    {
        var next = vocabulary.Count;
        foreach (var token in added)
        {
            var numbered = vocabulary.TryGetValue(token.Content, out var id) ? id : next++;
            if (numbered != token.Id)
            {
                throw new ModelConfigException(
                    $"{path}: added token {token.Content} has id {token.Id}, but the tokenizers library numbers it {numbered}");
            }
        }
    }
}
