using System.Text.Json;
using Rex.Model.Tests.Jinja;
using Rex.Model.Tokenization;
using Rex.Tests;

namespace Rex.Model.Tests.Tokenization;

/// <summary>
/// The real chat templates of the model families Rex serves (ChatTemplates/*, sources in its README), loaded as a
/// model directory and rendered for each conversation of conversations.json, compared byte for byte with Python
/// jinja2's renderings in expected.json (ChatTemplates/../../Jinja/generate_expected.py writes them).
/// </summary>
public sealed class JinjaChatTemplateRenderingTests
{
    static readonly string Folder = Path.Combine(TestPaths.RepositoryRoot, "tests", "Model.Tests", "Tokenization", "ChatTemplates");
    static readonly Lazy<Dictionary<string, JsonElement>> Conversations = new(() =>
        Load("conversations.json").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!));
    static readonly Lazy<JsonElement[]> Expected = new(() => [.. Load("expected.json").EnumerateArray()]);

    public static TheoryData<string, string, bool> Renderings()
    {
        var renderings = new TheoryData<string, string, bool>();
        foreach (var e in Expected.Value)
            renderings.Add(e.GetProperty("model").GetString()!, e.GetProperty("conversation").GetString()!, e.GetProperty("add_generation_prompt").GetBoolean());
        return renderings;
    }

    [Theory]
    [MemberData(nameof(Renderings))]
    public void RendersAsTransformersDoes(string model, string conversation, bool addGenerationPrompt)
    {
        var template = JinjaChatTemplate.Load(Path.Combine(Folder, model), FixedClock.Instance)!;
        var recorded = Expected.Value.Single(e => e.GetProperty("model").GetString() == model
            && e.GetProperty("conversation").GetString() == conversation && e.GetProperty("add_generation_prompt").GetBoolean() == addGenerationPrompt);
        var input = Conversations.Value[conversation];
        var messages = input.GetProperty("messages").EnumerateArray().Select(Fields).ToList();
        var variables = input.TryGetProperty("variables", out var given) ? Fields(given) : null;
        Jinja2Expectation.From(recorded).Check(() => template.Render(messages, addGenerationPrompt, variables));
    }

    [Fact]
    public void EveryModelDirectoryHasATemplateAndRenderings()
    {
        foreach (var model in Directory.GetDirectories(Folder))
        {
            Assert.NotNull(JinjaChatTemplate.Load(model));
            Assert.Contains(Expected.Value, e => e.GetProperty("model").GetString() == Path.GetFileName(model));
        }
    }

    static IReadOnlyDictionary<string, object?> Fields(JsonElement item) =>
        item.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value);

    static JsonElement Load(string file) => JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, file))).RootElement;
}
