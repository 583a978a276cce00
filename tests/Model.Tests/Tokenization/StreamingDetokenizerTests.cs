using System.Text;
using Rex.Model.Tokenization;
using static Rex.Model.Tests.Tokenization.HandmadeTokenizers;

namespace Rex.Model.Tests.Tokenization;

public sealed class StreamingDetokenizerTests
{
    static readonly DbrxTokenizer Tokenizer = DbrxTokenizer.Default;

    [Theory]
    [InlineData("🎉🚀 naïve café 你好世界 👨‍👩‍👧‍👦 done")]
    [InlineData("日本語のテキストと絵文字😀😃😄")]
    public void NeverEmitsHalfACharacter(string text)
    {
        var ids = Tokenizer.Encode(text);
        Assert.True(ids.Length > text.EnumerateRunes().Count() / 2); // multi-token characters are present
        var pieces = Stream(Tokenizer, ids);
        AssertWholeCharacters(pieces);
        Assert.Equal(text, string.Concat(pieces));
    }

    public static TheoryData<string, string> HfTexts => new()
    {
        { ByteLevel, "🎉🚀 naïve café 你好世界 👨‍👩‍👧‍👦 done" },
        { ByteLevel, "日本語のテキストと絵文字😀😃😄" },
        { Metaspace, "🎉🚀 naïve café 你好世界 👨‍👩‍👧‍👦 done" },
        { Metaspace, "日本語のテキストと絵文字😀😃😄" },
    };

    /// <summary>The stream of a generation continues its prompt: the whole decode of both is the prompt's and the stream's text.</summary>
    [Theory]
    [MemberData(nameof(HfTexts))]
    public void StreamsHfTokenizersAsWholeDecodingWithoutHalfCharacters(string tokenizer, string text)
    {
        var hf = Get(tokenizer);
        var (prompt, output) = (hf.Encode("Say:"), hf.EncodeChat(text));
        var pieces = Stream(hf, output);
        AssertWholeCharacters(pieces);
        Assert.Equal(hf.Decode([.. prompt, .. output]), hf.Decode(prompt) + string.Concat(pieces));
    }

    [Fact]
    public void AMetaspaceStreamKeepsTheLeadingSpaceThatAWholeTextDrops()
    {
        var hf = Get(Metaspace);
        var ids = hf.Encode("Hello 你好");
        Assert.Equal(" Hello 你好", string.Concat(Stream(hf, ids)));
        Assert.Equal("Hello 你好", hf.Decode(ids));
    }

    [Fact]
    public void AnUnfinishedCharacterAtTheEndBecomesAReplacementCharacter()
    {
        var ids = Tokenizer.Encode("🎉");
        var detokenizer = new StreamingDetokenizer(Tokenizer);
        var text = new StringBuilder();
        foreach (var id in ids[..^1]) text.Append(detokenizer.Add(id));
        Assert.Equal("", text.ToString());
        Assert.Equal("\uFFFD", detokenizer.Flush());
    }

    static string[] Stream(ITokenizer tokenizer, int[] ids)
    {
        var detokenizer = new StreamingDetokenizer(tokenizer);
        return [.. ids.Select(detokenizer.Add).Append(detokenizer.Flush())];
    }

    static void AssertWholeCharacters(string[] pieces)
    {
        foreach (var piece in pieces)
        {
            Assert.DoesNotContain('\uFFFD', piece);
            if (piece.Length > 0) Assert.False(char.IsHighSurrogate(piece[^1]), $"'{piece}' ends inside a surrogate pair");
            if (piece.Length > 0) Assert.False(char.IsLowSurrogate(piece[0]), $"'{piece}' starts inside a surrogate pair");
        }
        Assert.Contains(pieces, p => p.Length == 0); // some tokens ended mid-character and waited
    }
}
