using System.Text;
using Rex.Model.Config;
using Tokenizers.DotNet;
using NativeTokenizer = Tokenizers.DotNet.Tokenizer;

namespace Rex.Model.Tokenization;

/// <summary>
/// A Hugging Face tokenizer.json (Mixtral, Qwen2/Qwen3-MoE, OLMoE, DeepSeek-V3, gpt-oss). Encoding is Hugging Face's
/// own Rust tokenizers 0.22 through Tokenizers.DotNet, whose `Encode` always adds what the post-processor adds and
/// always matches every added token in the text; so it is loaded twice, from two copies of the file
/// (<see cref="TokenizerJson"/>): one whose special tokens cannot match, for ordinary text, and one without a
/// post-processor, for rendered templates. The library exposes no per-token view, so decoding is Rex's own, from a
/// table of each token's bytes built at load from the vocabulary, the added tokens and the decoder, and checked
/// against the library's decode in the tests. Thread-safe; the native tokenizers are freed by their finalizers.
/// </summary>
public sealed class HfTokenizer : ITokenizer
{
    public const string FileName = "tokenizer.json";

    readonly NativeTokenizer ordinary;
    readonly NativeTokenizer templates;
    readonly TokenizerJsonDecoder decoder;
    readonly string?[] tokenById;
    readonly byte[][] bytesById;
    readonly bool[] specialById;
    readonly Dictionary<string, int> idByToken;

    HfTokenizer(TokenizerJson json)
    {
        ordinary = LoadNative(json, json.WriteForOrdinaryText);
        templates = LoadNative(json, json.WriteForTemplates);
        decoder = json.Decoder;
        idByToken = new Dictionary<string, int>(json.Vocabulary, StringComparer.Ordinal);
        foreach (var token in json.AddedTokens) idByToken[token.Content] = token.Id;
        var size = idByToken.Count == 0 ? 0 : idByToken.Values.Max() + 1;
        tokenById = new string?[size];
        // Added tokens take their id's place over the vocabulary's spelling, as the library's id_to_token does.
        foreach (var (token, id) in json.Vocabulary) tokenById[id] = token;
        foreach (var token in json.AddedTokens) tokenById[token.Id] = token.Content;
        var specials = json.AddedTokens.Where(t => t.Special).Select(t => t.Content).ToHashSet(StringComparer.Ordinal);
        SpecialTokens = [.. specials];
        bytesById = new byte[size][];
        specialById = new bool[size];
        for (var id = 0; id < size; id++)
        {
            bytesById[id] = tokenById[id] is { } token ? decoder.Bytes(token) : [];
            specialById[id] = tokenById[id] is { } spelled && specials.Contains(spelled);
        }
    }

    /// <summary>Loads a tokenizer.json file.</summary>
    public static HfTokenizer Load(string path) => new(TokenizerJson.Read(path));

    public int[] Encode(string text) => Ids(ordinary.Encode(WellFormed(text)));

    public int[] EncodeChat(string rendered) => Ids(templates.Encode(WellFormed(rendered)));

    public bool IsSpecial(int id) => (uint)id < (uint)specialById.Length && specialById[id];

    public IReadOnlyList<string> SpecialTokens { get; }

    public int? TokenId(string token) => idByToken.TryGetValue(token, out var id) ? id : null;

    public ReadOnlySpan<byte> TokenBytes(int id) => (uint)id < (uint)bytesById.Length ? bytesById[id] : [];

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        var bytes = new List<byte>();
        var atStart = true;
        foreach (var id in ids)
        {
            // As the library's decode: ids without a token, and skipped specials, are gone before the decoder runs.
            if ((uint)id >= (uint)tokenById.Length || tokenById[id] is not { } token || skipSpecialTokens && specialById[id]) continue;
            bytes.AddRange(atStart ? decoder.FirstBytes(token) : bytesById[id]);
            atStart = false;
        }
        return decoder.AtTextStart(Encoding.UTF8.GetString([.. bytes]));
    }

    static int[] Ids(uint[] ids) => Array.ConvertAll(ids, id => (int)id);

    // The library takes text as UTF-16 and refuses a lone surrogate; cl100k (DbrxTokenizer) encodes one as U+FFFD, and
    // so does this.
    static string WellFormed(string text) =>
        text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF') ? Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)) : text;

    static NativeTokenizer LoadNative(TokenizerJson json, Action<Stream> write)
    {
        var file = Path.Combine(Path.GetTempPath(), $"rex-tokenizer-{Guid.NewGuid():N}.json");
        try
        {
            using (var stream = File.Create(file)) write(stream);
            return new NativeTokenizer(vocabPath: file);
        }
        catch (TokenizerException e)
        {
            throw new ModelConfigException($"{json.Path}: the tokenizers library refuses it: {e.Message}", e);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
