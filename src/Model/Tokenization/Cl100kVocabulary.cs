using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Rex.Model.Tokenization;

/// <summary>
/// cl100k_base as shipped in Microsoft.ML.Tokenizers.Data.Cl100kBase: the bytes of every mergeable rank (for
/// byte-exact streaming decode, which the tokenizer API does not expose) and an encoder that knows no special
/// tokens (tiktoken's `encode_ordinary`), for text that must never turn into control tokens.
/// </summary>
internal static partial class Cl100kVocabulary
{
    const string DataAssembly = "Microsoft.ML.Tokenizers.Data.Cl100kBase";
    const string Resource = "cl100k_base.tiktoken.deflate";
    public const int NumRanks = 100256;

    /// <summary>
    /// Longest pre-token the tokenizer's own O(n^2) merge gets (at most 1 KiB of UTF-8: a millisecond); longer
    /// ones, which only a run of letters without a break makes, go to <see cref="BytePairMerge"/>.
    /// </summary>
    const int MaxScannedPieceChars = 256;

    static readonly Lazy<byte[][]> RankBytes = new(ReadRankBytes);
    static readonly Lazy<TiktokenTokenizer> OrdinaryTokenizer = new(CreateOrdinary);
    static readonly Lazy<Dictionary<string, int>> RankByLatin1 = new(() => RanksBy(bytes => Encoding.Latin1.GetString(bytes)));
    static readonly Lazy<Dictionary<string, int>> RankByByteLevelSpelling = new(() => RanksBy(bytes => ByteLevelAlphabet.Spell(bytes)));

    /// <summary>tiktoken's cl100k_base split pattern, with atomic groups for its possessive quantifiers.</summary>
    [GeneratedRegex(@"'(?i:[sdmt]|ll|ve|re)|(?>[^\r\n\p{L}\p{N}]?)\p{L}+|\p{N}{1,3}| ?(?>[^\s\p{L}\p{N}]+)[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+")]
    private static partial Regex SplitPattern();

    public static byte[][] Ranks => RankBytes.Value;

    /// <summary>Every rank by its bytes spelled in GPT-2's byte-level alphabet, as tokenizer.json vocabularies spell them.</summary>
    public static Dictionary<string, int> RankBySpelling => RankByByteLevelSpelling.Value;

    /// <summary>tiktoken's `encode_ordinary`: each piece of the split pattern byte-pair encoded, no special tokens.</summary>
    public static int[] EncodeOrdinary(string text)
    {
        var ids = new List<int>();
        foreach (var match in SplitPattern().EnumerateMatches(text))
        {
            var piece = text.AsSpan(match.Index, match.Length);
            if (piece.Length <= MaxScannedPieceChars)
                ids.AddRange(OrdinaryTokenizer.Value.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false));
            else
                BytePairMerge.Encode(Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(piece.ToString())), RankByLatin1.Value.GetAlternateLookup<ReadOnlySpan<char>>(), ids);
        }
        return [.. ids];
    }

    static Dictionary<string, int> RanksBy(Func<byte[], string> spelling) => Enumerable.Range(0, NumRanks).ToDictionary(r => spelling(Ranks[r]));

    static Stream OpenData()
    {
        var assembly = Assembly.Load(DataAssembly);
        var stream = assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"{DataAssembly} has no resource {Resource}");
        return new DeflateStream(stream, CompressionMode.Decompress);
    }

    // The data is either tiktoken's "base64 rank" lines or, as this package ships it, a "Capacity: N" line
    // followed by one base64 token per line in rank order.
    static byte[][] ReadRankBytes()
    {
        var ranks = new byte[NumRanks][];
        using var reader = new StreamReader(OpenData());
        var implicitRank = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal)) continue;
            var space = line.IndexOf(' ');
            var rank = space < 0 ? implicitRank++ : int.Parse(line.AsSpan(space + 1));
            ranks[rank] = Convert.FromBase64String(space < 0 ? line : line[..space]);
        }
        if (ranks.Any(r => r is null)) throw new InvalidDataException($"{DataAssembly}: incomplete cl100k_base data");
        return ranks;
    }

    static TiktokenTokenizer CreateOrdinary()
    {
        using var data = OpenData();
        return TiktokenTokenizer.Create(data, new RegexPreTokenizer(SplitPattern(), null), normalizer: null, specialTokens: null);
    }
}
