using Rex.Model.Config;
using Rex.Model.Tokenization;
using Rex.Tests;
using static Rex.Model.Tests.Tokenization.HandmadeTokenizers;

namespace Rex.Model.Tests.Tokenization;

public sealed class TokenizerLoaderTests
{
    [Fact]
    public void ATokenizerJsonIsAnHfTokenizer() =>
        Assert.IsType<HfTokenizer>(TokenizerLoader.Load(Directory(ByteLevel), DbrxTokenizer.Default));

    [Fact]
    public void ATokenizerJsonWinsOverATokenizerConfigNamingAnEncoding()
    {
        using var directory = new TemporaryDirectory();
        File.Copy(Json(Metaspace), directory.File(HfTokenizer.FileName));
        File.WriteAllText(directory.File(DbrxTokenizer.ConfigFileName), """{"encoding_name": "cl100k_base"}""");
        var tokenizer = TokenizerLoader.Load(directory.Path, fallback: null);
        Assert.IsType<HfTokenizer>(tokenizer);
        Assert.Equal(1, tokenizer.Encode("Hi")[0]);
    }

    [Fact]
    public void ATokenizerConfigNamingCl100kIsDbrxsTokenizer()
    {
        var tokenizer = TokenizerLoader.Load(TestPaths.DbrxTiny, fallback: null);
        Assert.IsType<DbrxTokenizer>(tokenizer);
        Assert.Equal(100279, tokenizer.TokenId("<|im_end|>"));
    }

    [Fact]
    public void ATokenizerConfigNamingAnotherEncodingIsRefused()
    {
        using var directory = new TemporaryDirectory();
        File.WriteAllText(directory.File(DbrxTokenizer.ConfigFileName), """{"encoding_name": "o200k_base"}""");
        Assert.Throws<ModelConfigException>(() => TokenizerLoader.Load(directory.Path, DbrxTokenizer.Default));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("""{"tokenizer_class": "LlamaTokenizerFast", "bos_token": "<s>"}""")]
    public void OtherwiseTheFallback(string? tokenizerConfig)
    {
        using var directory = new TemporaryDirectory();
        if (tokenizerConfig is not null) File.WriteAllText(directory.File(DbrxTokenizer.ConfigFileName), tokenizerConfig);
        Assert.Same(DbrxTokenizer.Default, TokenizerLoader.Load(directory.Path, DbrxTokenizer.Default));
        Assert.Null(TokenizerLoader.Load(directory.Path, fallback: null));
    }
}
