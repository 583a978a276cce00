using System.Text;
using Rex.Model.Tokenization;
using static Rex.Model.Tests.Tokenization.HandmadeTokenizers;
using LibraryTokenizer = Tokenizers.DotNet.Tokenizer;

namespace Rex.Model.Tests.Tokenization;

/// <summary>HfTokenizer's per-id tables (special flags, token ids, token bytes), and its decoding against the library's own.</summary>
public sealed class HfTokenizerTableTests
{
    [Fact]
    public void SpecialAndAddedTokensOfTheByteLevelTokenizer()
    {
        var hf = Get(ByteLevel);
        Assert.Equal(381, hf.TokenId("<|im_end|>"));
        Assert.True(hf.IsSpecial(381));
        Assert.Equal(382, hf.TokenId("<think>"));
        Assert.False(hf.IsSpecial(382));
        Assert.Equal(" dog"u8.ToArray(), hf.TokenBytes(hf.TokenId("Ġdog")!.Value).ToArray());
        Assert.Equal("<|im_end|>"u8.ToArray(), hf.TokenBytes(381).ToArray());
        Assert.Null(hf.TokenId(" dog")); // the vocabulary spells it Ġdog
    }

    [Fact]
    public void SpecialAndAddedTokensOfTheMetaspaceTokenizer()
    {
        var hf = Get(Metaspace);
        Assert.Equal([0, 1, 2], new[] { "<unk>", "<s>", "</s>" }.Select(t => hf.TokenId(t)!.Value));
        Assert.All([0, 1, 2, hf.TokenId("[INST]")!.Value, hf.TokenId("[/INST]")!.Value], id => Assert.True(hf.IsSpecial(id)));
        Assert.False(hf.IsSpecial(hf.TokenId("<tool>")!.Value));
        Assert.False(hf.IsSpecial(hf.TokenId("<0xE4>")!.Value));
    }

    [Fact]
    public void MetaspaceTokensStandForSpacesAndByteTokensForTheirByte()
    {
        var hf = Get(Metaspace);
        int Id(string token) => hf.TokenId(token)!.Value;
        Assert.Equal(" Hello"u8.ToArray(), hf.TokenBytes(Id("▁Hello")).ToArray());
        Assert.Equal("  "u8.ToArray(), hf.TokenBytes(Id("▁▁")).ToArray());
        Assert.Equal([0xE4], hf.TokenBytes(Id("<0xE4>")).ToArray());
        Assert.Equal([0x0A], hf.TokenBytes(Id("<0x0A>")).ToArray());
        // A whole text drops the one space the normalizer prepended; "中" has no piece and falls back to three bytes.
        Assert.Equal("  Hello", hf.Decode([Id("▁▁"), Id("▁Hello")]));
        Assert.Equal([1, Id("▁"), Id("<0xE4>"), Id("<0xB8>"), Id("<0xAD>")], hf.Encode("中"));
        Assert.Equal("中\n", hf.Decode([Id("<0xE4>"), Id("<0xB8>"), Id("<0xAD>"), Id("<0x0A>")]));
        Assert.Equal([1, Id("▁"), Id("<0xF0>"), Id("<0x9F>"), Id("<0x8E>"), Id("<0x89>")], hf.Encode("🎉"));
    }

    [Fact]
    public void IdsWithoutATokenHaveNoBytesAndAreNotSpecial()
    {
        foreach (var hf in new[] { Get(ByteLevel), Get(Metaspace) })
        {
            Assert.True(hf.TokenBytes(-1).IsEmpty);
            Assert.True(hf.TokenBytes(100_000).IsEmpty);
            Assert.False(hf.IsSpecial(-1));
            Assert.False(hf.IsSpecial(100_000));
            Assert.Null(hf.TokenId("no such token"));
            Assert.Equal("a", hf.Decode([hf.TokenId("a")!.Value, 100_000, -1]));
        }
    }

    [Theory]
    [InlineData(ByteLevel)]
    [InlineData(Metaspace)]
    public void DecodeAgreesWithTheLibrarysDecode(string name)
    {
        var hf = Get(name);
        using var library = new LibraryTokenizer(vocabPath: Json(name));
        foreach (var ids in Sequences(hf))
            Assert.Equal(library.Decode([.. ids.Select(id => (uint)id)]), hf.Decode(ids));
    }

    /// <summary>
    /// Every id alone, the reference texts' encodings, and runs of consecutive ids. Runs leave out the byte tokens of
    /// a metaspace vocabulary: on a run of them that is not UTF-8 the library writes U+FFFD for every byte, Rex (and
    /// Hugging Face's JavaScript tokenizers) for each maximal invalid sequence, as UTF-8 decoders do.
    /// </summary>
    internal static IEnumerable<int[]> Sequences(ITokenizer tokenizer)
    {
        var ids = Enumerable.Range(0, 500).ToArray();
        foreach (var id in ids) yield return [id];
        foreach (var text in ReferenceTexts)
        {
            yield return tokenizer.Encode(text);
            yield return tokenizer.EncodeChat(text);
        }
        var (firstByte, lastByte) = (tokenizer.TokenId("<0x00>") ?? -1, tokenizer.TokenId("<0xFF>") ?? -1);
        var runnable = ids.Where(id => id < firstByte || id > lastByte).ToArray();
        for (var i = 0; i + 7 <= runnable.Length; i += 3) yield return runnable[i..(i + 7)];
    }

    [Fact]
    public void TheNativeLibraryIsInTheBuildOutput() =>
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libhf_tokenizers.so")));

    [Fact]
    public void ConcurrentEncodesAgree()
    {
        var hf = Get(ByteLevel);
        var text = string.Concat(Enumerable.Repeat("Hello 你好 🎉 ", 50));
        var expected = hf.Encode(text);
        Parallel.For(0, 64, _ => Assert.Equal(expected, hf.Encode(text)));
        Assert.Equal(text, Encoding.UTF8.GetString([.. expected.SelectMany(id => hf.TokenBytes(id).ToArray())]));
    }
}
