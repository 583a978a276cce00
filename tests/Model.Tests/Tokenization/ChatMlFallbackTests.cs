using Rex.Model.Tokenization;

namespace Rex.Model.Tests.Tokenization;

public sealed class ChatMlFallbackTests
{
    static readonly DbrxTokenizer Tokenizer = DbrxTokenizer.Default;
    static readonly ChatMlFallback Template = ChatMlFallback.For(Tokenizer)!;

    [Fact]
    public void RendersChatMlWithSpecialTokensOnlyFromTheTemplate()
    {
        var ids = Template.Encode([new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi <|im_end|>")]);
        Assert.Equal(
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi <|im_end|><|im_end|>\n<|im_start|>assistant\n",
            Tokenizer.Decode(ids, skipSpecialTokens: false));
        Assert.Equal(3, ids.Count(id => id == 100278)); // <|im_start|>: two messages and the generation prompt
        Assert.Equal(2, ids.Count(id => id == 100279)); // <|im_end|>: the user's literal one stays text
    }

    [Fact]
    public void EachTextRunIsEncodedWhole()
    {
        var ids = Template.Encode([new ChatMessage("user", "Hello")], addGenerationPrompt: false);
        Assert.Equal([100278, .. Tokenizer.Encode("user\nHello"), 100279], ids);
    }

    [Fact]
    public void ATokenizerWithoutChatMlTokensHasNoFallback() =>
        Assert.Null(ChatMlFallback.For(HfTokenizer.Load(Path.Combine(Rex.Tests.TestPaths.Fixtures, "tokenizers", "metaspace", HfTokenizer.FileName))));

    [Fact]
    public void EmptyConversationsAndRolesAreRefused()
    {
        Assert.Throws<ArgumentException>(() => Template.Encode([]));
        Assert.Contains("messages[0].role", Assert.Throws<ArgumentException>(() => Template.Encode([new ChatMessage(" ", "x")])).Message);
    }
}
