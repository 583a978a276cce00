using System.Text.Json.Nodes;
using Rex.Model.Config;
using Rex.Model.Tokenization;
using Rex.Tests;
using static Rex.Model.Tests.Tokenization.HandmadeTokenizers;
using LibraryTokenizer = Tokenizers.DotNet.Tokenizer;

namespace Rex.Model.Tests.Tokenization;

/// <summary>Decoders and files the hand-made tokenizers do not have, each checked against the library's own decode.</summary>
public sealed class TokenizerJsonDecoderTests
{
    [Theory]
    [InlineData("always")]
    [InlineData("first")]
    [InlineData("never")]
    public void AMetaspaceDecoderDecodesAsTheLibrary(string prependScheme)
    {
        using var directory = new TemporaryDirectory();
        var decoder = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = prependScheme, ["split"] = false };
        var path = WriteVariant(Metaspace, directory.Path, json => json["decoder"] = decoder);
        AssertDecodesAsTheLibrary(path, HfTokenizerTableTests.Sequences(HfTokenizer.Load(path)));
    }

    [Fact]
    public void ByteLevelAddedTokensOutsideTheAlphabetAreTheirOwnUtf8()
    {
        using var directory = new TemporaryDirectory();
        // DeepSeek's specials hold '｜' and '▁', which the byte-level alphabet lacks; 'Ġ' is in it and stands for a space.
        var path = WriteVariant(ByteLevel, directory.Path, json =>
        {
            var added = json["added_tokens"]!.AsArray();
            foreach (var (content, special) in new[] { ("<｜end▁of▁sentence｜>", true), ("ĠHi", false) })
            {
                added.Add(new JsonObject
                {
                    ["id"] = 379 + added.Count, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                    ["normalized"] = false, ["special"] = special,
                });
            }
        });
        var hf = HfTokenizer.Load(path);
        Assert.Equal("<｜end▁of▁sentence｜>"u8.ToArray(), hf.TokenBytes(384).ToArray());
        Assert.Equal(" Hi"u8.ToArray(), hf.TokenBytes(385).ToArray());
        Assert.Equal([384], hf.EncodeChat("<｜end▁of▁sentence｜>"));
        AssertDecodesAsTheLibrary(path, [[384], [385], [64, 385, 384, 65]]);
    }

    [Theory]
    [InlineData("""{"type": "WordPiece", "prefix": "##"}""", "decoder WordPiece is not supported")]
    [InlineData("""{"type": "Sequence", "decoders": [{"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 0, "stop": 1}]}""", "decoder Strip is not supported")]
    [InlineData("""{"type": "Sequence", "decoders": [{"type": "Fuse"}, {"type": "ByteFallback"}]}""", "decoder ByteFallback after Fuse is not supported")]
    [InlineData("""{"type": "Replace", "pattern": {"Regex": " +"}, "content": " "}""", "decoder Replace with a Regex pattern is not supported")]
    [InlineData("null", "decoder is missing")]
    public void DecodersRexCannotFollowAreRefusedAtLoad(string decoder, string message)
    {
        using var directory = new TemporaryDirectory();
        var path = WriteVariant(Metaspace, directory.Path, json => json["decoder"] = JsonNode.Parse(decoder));
        Assert.Contains(message, Assert.Throws<ModelConfigException>(() => HfTokenizer.Load(path)).Message);
    }

    [Fact]
    public void AddedTokenIdsTheLibraryWouldNumberOtherwiseAreRefused()
    {
        using var directory = new TemporaryDirectory();
        var path = WriteVariant(ByteLevel, directory.Path, json => json["added_tokens"]![1]!["id"] = 500);
        Assert.Contains("added token <|im_start|> has id 500, but the tokenizers library numbers it 380",
            Assert.Throws<ModelConfigException>(() => HfTokenizer.Load(path)).Message);
    }

    [Fact]
    public void FilesTheLibraryRefusesAreReportedWithTheirPath()
    {
        using var directory = new TemporaryDirectory();
        var path = WriteVariant(ByteLevel, directory.Path, json => json["version"] = "2.0");
        var message = Assert.Throws<ModelConfigException>(() => HfTokenizer.Load(path)).Message;
        Assert.StartsWith($"{path}: the tokenizers library refuses it", message);
    }

    static void AssertDecodesAsTheLibrary(string path, IEnumerable<int[]> sequences)
    {
        var hf = HfTokenizer.Load(path);
        using var library = new LibraryTokenizer(vocabPath: path);
        foreach (var ids in sequences)
            Assert.Equal(library.Decode([.. ids.Select(id => (uint)id)]), hf.Decode(ids));
    }
}
