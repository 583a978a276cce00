using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rex.Model.Config;

namespace Rex.Model.Tokenization;

/// <summary>
/// DBRX's tokenizer: cl100k_base plus its special and added tokens (`&lt;|endoftext|&gt;` 100257,
/// `&lt;|pad|&gt;` 100277, `&lt;|im_start|&gt;` 100278, `&lt;|im_end|&gt;` 100279, read from
/// `tokenizer_config.json`'s `added_tokens_decoder` when present). Text is encoded as ordinary text: special tokens
/// enter a prompt only through a template (<see cref="ChatTemplate"/>, <see cref="EncodeChat"/>) or explicit ids.
/// DBRX adds nothing to a prompt (no BOS). Thread-safe.
/// </summary>
public sealed class DbrxTokenizer : ITokenizer
{
    public const string ConfigFileName = "tokenizer_config.json";
    public const string EndOfText = "<|endoftext|>";
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";

    // cl100k_base's own specials, then DBRX's additions.
    static readonly Dictionary<int, string> DefaultSpecialTokens = new()
    {
        [100257] = EndOfText,
        [100258] = "<|fim_prefix|>",
        [100259] = "<|fim_middle|>",
        [100260] = "<|fim_suffix|>",
        [100276] = "<|endofprompt|>",
        [100277] = "<|pad|>",
        [100278] = ImStart,
        [100279] = ImEnd,
    };

    readonly Dictionary<int, byte[]> specialBytes;
    readonly Dictionary<string, int> idBySpecial;
    readonly Regex specialPattern;

    DbrxTokenizer(Dictionary<int, string> specialById)
    {
        specialBytes = specialById.ToDictionary(p => p.Key, p => Encoding.UTF8.GetBytes(p.Value));
        idBySpecial = specialById.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
        // Longest first, so that a special token that begins another never cuts it short.
        var alternatives = idBySpecial.Keys.Where(k => k.Length > 0).OrderByDescending(k => k.Length).Select(Regex.Escape);
        specialPattern = new Regex(string.Join('|', alternatives), RegexOptions.CultureInvariant);
    }

    public static DbrxTokenizer Default { get; } = new(new Dictionary<int, string>(DefaultSpecialTokens));

    /// <summary>The tokenizer of a model directory: cl100k_base with the added tokens its tokenizer_config.json lists.</summary>
    public static DbrxTokenizer Load(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, ConfigFileName);
        if (!File.Exists(path)) return Default;
        using var document = JsonFields.Parse(path);
        var root = new JsonFields(document.RootElement, path, "");
        var encoding = root.String("encoding_name");
        if (encoding is not null && encoding != "cl100k_base")
            throw root.Error("encoding_name", $"'{encoding}' is not supported (expected cl100k_base)");
        var specials = new Dictionary<int, string>(DefaultSpecialTokens);
        if (root.Object("added_tokens_decoder") is { } added)
        {
            foreach (var property in added.Element.EnumerateObject())
            {
                if (!int.TryParse(property.Name, out var id) || id < Cl100kVocabulary.NumRanks)
                    throw added.Error(property.Name, "must be a token id above the cl100k_base ranks");
                if (property.Value.ValueKind != JsonValueKind.Object
                    || !property.Value.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
                    throw added.Error(property.Name, "must be an object with a string content");
                specials[id] = content.GetString()!;
            }
        }
        return new DbrxTokenizer(specials);
    }

    /// <summary>Encodes text as ordinary text: `&lt;|endoftext|&gt;` in user content stays characters, never id 100257.</summary>
    public int[] Encode(string text) => text.Length == 0 ? [] : Cl100kVocabulary.EncodeOrdinary(text);

    /// <summary>
    /// A rendered template as tiktoken's `encode(allowed_special="all")`: each special token's string is its id, the
    /// text between them is ordinary text.
    /// </summary>
    public int[] EncodeChat(string rendered)
    {
        var ids = new List<int>();
        var start = 0;
        foreach (var match in specialPattern.EnumerateMatches(rendered))
        {
            ids.AddRange(Encode(rendered[start..match.Index]));
            ids.Add(idBySpecial[rendered.Substring(match.Index, match.Length)]);
            start = match.Index + match.Length;
        }
        ids.AddRange(Encode(rendered[start..]));
        return [.. ids];
    }

    public int SpecialTokenId(string content) =>
        idBySpecial.TryGetValue(content, out var id) ? id : throw new KeyNotFoundException($"no special token {content}");

    public bool IsSpecial(int id) => specialBytes.ContainsKey(id);

    public IReadOnlyList<string> SpecialTokens => [.. idBySpecial.Keys];

    /// <summary>A special token's content, or an ordinary rank spelled as DBRX's tokenizer.json spells it (byte-level: `Ġthe`).</summary>
    public int? TokenId(string token) =>
        idBySpecial.TryGetValue(token, out var id) || Cl100kVocabulary.RankBySpelling.TryGetValue(token, out id) ? id : null;

    /// <summary>The UTF-8 bytes a token stands for; empty for ids with no token (padding rows of the embedding).</summary>
    public ReadOnlySpan<byte> TokenBytes(int id)
    {
        var ranks = Cl100kVocabulary.Ranks;
        if (id >= 0 && id < ranks.Length) return ranks[id];
        return specialBytes.TryGetValue(id, out var special) ? special : [];
    }

    /// <summary>Decodes ids to text; invalid UTF-8 becomes U+FFFD. Special tokens are left out unless asked for.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        var detokenizer = new StreamingDetokenizer(this, skipSpecialTokens);
        var text = new StringBuilder();
        foreach (var id in ids) text.Append(detokenizer.Add(id));
        return text.Append(detokenizer.Flush()).ToString();
    }
}
