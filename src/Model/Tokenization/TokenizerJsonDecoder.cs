using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Rex.Model.Config;

namespace Rex.Model.Tokenization;

/// <summary>
/// A tokenizer.json `decoder` reduced to what Rex needs to decode without it: each token's bytes in running text,
/// and what the decoder drops at the start of a whole text. Covers the decoders of the families Rex serves, read as
/// Hugging Face's tokenizers 0.22 applies them: `ByteLevel` (byte-level BPE), `Metaspace`, and a `Sequence` of
/// `Replace` (string patterns), `ByteFallback`, `Fuse` and `Strip` (SentencePiece-style BPE: Llama, Mistral, Mixtral).
/// Others are refused at load rather than decoded wrongly.
/// </summary>
internal sealed class TokenizerJsonDecoder
{
    enum Stage { Replace, ByteFallback, Fuse, Strip }

    readonly List<(string Pattern, string Content)> replacements = [];
    bool byteLevel, byteFallback, fused;
    Stage? lastStage;
    char? metaspace;
    bool metaspaceDropsFirst;
    char stripContent;
    int stripStart;

    public static TokenizerJsonDecoder Parse(JsonNode? node, string source)
    {
        var decoder = new TokenizerJsonDecoder();
        if (node is not JsonObject step) throw new ModelConfigException($"{source}: decoder is missing: Rex needs one to decode text");
        if (Type(step) == "Sequence" && step["decoders"] is JsonArray steps)
            foreach (var inner in steps) decoder.Add(inner as JsonObject ?? throw Unsupported(source, "a non-object step"), source);
        else decoder.Add(step, source);
        return decoder;
    }

    /// <summary>The token's bytes in running text.</summary>
    public byte[] Bytes(string token)
    {
        if (byteLevel) return ByteLevelAlphabet.Bytes(token);
        foreach (var (pattern, content) in replacements) token = token.Replace(pattern, content, StringComparison.Ordinal);
        if (byteFallback && token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            return [b];
        if (metaspace is { } replacement) token = token.Replace(replacement, ' ');
        return Encoding.UTF8.GetBytes(token);
    }

    /// <summary>The bytes of the first token of a whole text: a Metaspace decoder drops every '▁' of it.</summary>
    public byte[] FirstBytes(string token) =>
        metaspaceDropsFirst ? Encoding.UTF8.GetBytes(token.Replace(metaspace!.Value.ToString(), "", StringComparison.Ordinal)) : Bytes(token);

    /// <summary>A whole decoded text as the decoder ends it: a `Strip` after `Fuse` cuts its leading characters.</summary>
    public string AtTextStart(string text)
    {
        var cut = 0;
        while (cut < stripStart && cut < text.Length && text[cut] == stripContent) cut++;
        return text[cut..];
    }

    void Add(JsonObject step, string source)
    {
        var type = Type(step);
        if (byteLevel || metaspace is not null) throw Unsupported(source, $"{type} after ByteLevel or Metaspace");
        switch (type)
        {
            case "ByteLevel" when lastStage is null:
                byteLevel = true;
                return;
            case "Metaspace" when lastStage is null:
                metaspace = Char(step, "replacement", source);
                // tokenizers reads the older `add_prefix_space: false` as prepend_scheme never, else always.
                var scheme = (string?)step["prepend_scheme"] ?? ((bool?)step["add_prefix_space"] == false ? "never" : "always");
                metaspaceDropsFirst = scheme != "never";
                return;
            case "Replace":
                Enter(Stage.Replace, source);
                replacements.Add(((string?)step["pattern"]?["String"] ?? throw Unsupported(source, "Replace with a Regex pattern"),
                    (string?)step["content"] ?? ""));
                return;
            case "ByteFallback":
                Enter(Stage.ByteFallback, source);
                byteFallback = true;
                return;
            case "Fuse":
                Enter(Stage.Fuse, source);
                fused = true;
                return;
            case "Strip" when fused && ((int?)step["stop"] ?? 0) == 0:
                Enter(Stage.Strip, source);
                stripContent = Char(step, "content", source);
                stripStart = (int?)step["start"] ?? 0;
                return;
            default:
                throw Unsupported(source, type);
        }
    }

    void Enter(Stage stage, string source)
    {
        if (lastStage > stage || lastStage == stage && stage != Stage.Replace)
            throw Unsupported(source, $"{stage} after {lastStage}");
        lastStage = stage;
    }

    static string Type(JsonObject step) => (string?)step["type"] ?? "";

    static char Char(JsonObject step, string field, string source) =>
        (string?)step[field] is { Length: 1 } text ? text[0] : throw Unsupported(source, $"{Type(step)} whose {field} is not one character");

    static ModelConfigException Unsupported(string source, string what) => new(
        $"{source}: decoder {what} is not supported (Rex decodes ByteLevel, Metaspace, and Replace / ByteFallback / Fuse / Strip sequences)");
}
