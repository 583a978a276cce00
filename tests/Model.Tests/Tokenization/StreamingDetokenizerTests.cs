using System.Text;
using Rex.Model.Tokenization;

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
