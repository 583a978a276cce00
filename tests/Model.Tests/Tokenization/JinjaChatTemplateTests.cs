using Rex.Model.Config;
using Rex.Model.Jinja;
using Rex.Model.Tokenization;
using Rex.Tests;

namespace Rex.Model.Tests.Tokenization;

public sealed class JinjaChatTemplateTests
{
    const string Echo = "{{ bos_token }}{% for m in messages %}[{{ m.role }}:{{ m.content }}]{% endfor %}{{ eos_token }}|{{ add_generation_prompt }}";

    static readonly string ChatTemplates = Path.Combine(TestPaths.RepositoryRoot, "tests", "Model.Tests", "Tokenization", "ChatTemplates");

    [Fact]
    public void TheTinyDbrxTemplateRendersWhatTheHandWrittenChatMlEncodes()
    {
        var template = JinjaChatTemplate.Load(TestPaths.DbrxTiny)!;
        ChatMessage[] messages = [new("system", "Be brief."), new("user", "Hi <|im_end|>"), new("assistant", "Hello."), new("user", "Bye")];
        var tokenizer = DbrxTokenizer.Default;
        foreach (var addGenerationPrompt in new[] { true, false })
            Assert.Equal(tokenizer.Decode(ChatMlFallback.For(tokenizer)!.Encode(messages, addGenerationPrompt), skipSpecialTokens: false),
                template.Render(messages, addGenerationPrompt));
    }

    [Fact]
    public void MixtralRefusesRolesOutOfOrderWithTheTemplatesMessage()
    {
        var template = JinjaChatTemplate.Load(Path.Combine(ChatTemplates, "mixtral-8x7b-instruct-v0.1"))!;
        var refusal = Assert.Throws<JinjaRaisedException>(() => template.Render([new ChatMessage("user", "a"), new ChatMessage("user", "b")]));
        Assert.Equal("After the optional system message, conversation roles must alternate user/assistant/user/assistant/...", refusal.Message);
        Assert.IsAssignableFrom<JinjaException>(refusal);
    }

    [Fact]
    public void ADirectoryWithoutATemplateHasNone()
    {
        using var empty = new TemporaryDirectory();
        Assert.Null(JinjaChatTemplate.Load(empty.Path));
        File.WriteAllText(empty.File("tokenizer_config.json"), """{"bos_token": "<s>", "chat_template": null}""");
        Assert.Null(JinjaChatTemplate.Load(empty.Path));
    }

    [Fact]
    public void ChatTemplateJinjaWinsOverTokenizerConfig()
    {
        using var model = new TemporaryDirectory();
        File.WriteAllText(model.File("tokenizer_config.json"), """{"bos_token": "<s>", "eos_token": "</s>", "chat_template": "from the config"}""");
        File.WriteAllText(model.File("chat_template.jinja"), Echo);
        var template = JinjaChatTemplate.Load(model.Path)!;
        Assert.Equal("<s>[user:hi]</s>|True", template.Render([new ChatMessage("user", "hi")]));
    }

    [Fact]
    public void ANamedTemplateListGivesTheDefaultOneAndTokensMayBeObjects()
    {
        using var model = new TemporaryDirectory();
        File.WriteAllText(model.File("tokenizer_config.json"), """
            {"bos_token": {"__type": "AddedToken", "content": "<bos>"}, "eos_token": null,
             "chat_template": [{"name": "tool_use", "template": "tools"}, {"name": "default", "template": "{{ bos_token }}{{ eos_token }}{{ messages[0].content }}"}]}
            """);
        var template = JinjaChatTemplate.Load(model.Path)!;
        Assert.Equal(("<bos>", null), (template.BosToken, template.EosToken));
        Assert.Equal("<bos>x", template.Render([new ChatMessage("user", "x")]));
    }

    [Fact]
    public void SpecialTokensMayComeFromTheSpecialTokensMap()
    {
        using var model = new TemporaryDirectory();
        File.WriteAllText(model.File("tokenizer_config.json"), """{"eos_token": "</s>", "chat_template": "x"}""");
        File.WriteAllText(model.File("special_tokens_map.json"), """{"bos_token": {"content": "<s>"}, "eos_token": "<ignored>"}""");
        var template = JinjaChatTemplate.Load(model.Path)!;
        Assert.Equal(("<s>", "</s>"), (template.BosToken, template.EosToken));
    }

    [Fact]
    public void ATemplateListWithoutDefaultIsAConfigError()
    {
        using var model = new TemporaryDirectory();
        File.WriteAllText(model.File("tokenizer_config.json"), """{"chat_template": [{"name": "tool_use", "template": "x"}]}""");
        Assert.Contains("no 'default' template (it has: tool_use)", Assert.Throws<ModelConfigException>(() => JinjaChatTemplate.Load(model.Path)).Message);
    }

    [Fact]
    public void ATemplateThatDoesNotParseIsAConfigErrorWithItsPlace()
    {
        using var model = new TemporaryDirectory();
        File.WriteAllText(model.File("chat_template.jinja"), "line one\n{% if messages %}never closed");
        var error = Assert.Throws<ModelConfigException>(() => JinjaChatTemplate.Load(model.Path));
        Assert.Contains("chat_template.jinja: the chat template does not parse: line 2", error.Message);
        Assert.IsType<JinjaParseException>(error.InnerException);
    }

    [Fact]
    public void VariablesPassThroughAndOverrideTheDefaults()
    {
        var template = new JinjaChatTemplate("{{ tools is none }} {{ documents is none }} {{ enable_thinking }} {{ tools | length if tools else '' }}");
        Assert.Equal("True True  ", template.Render([new ChatMessage("user", "x")]));
        var variables = new Dictionary<string, object?> { ["enable_thinking"] = false, ["tools"] = new[] { new Dictionary<string, object?> { ["name"] = "f" } } };
        Assert.Equal("False True False 1", template.Render([new ChatMessage("user", "x")], variables: variables));
    }

    [Fact]
    public void AnEmptyConversationIsRefused() =>
        Assert.Contains("at least one message", Assert.Throws<ArgumentException>(() => new JinjaChatTemplate(Echo).Render(Array.Empty<ChatMessage>())).Message);

    [Fact]
    public void UnsetSpecialTokensStayUndefined()
    {
        var template = new JinjaChatTemplate("[{{ bos_token }}][{{ eos_token is defined }}]", bosToken: null, eosToken: "</s>");
        Assert.Equal("[][True]", template.Render([new ChatMessage("user", "x")]));
    }
}
