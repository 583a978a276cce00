using System.Text.Json;
using Rex.Model.Jinja;
using Rex.Tests;

namespace Rex.Model.Tests.Jinja;

/// <summary>
/// The language cases of cases.json (whitespace control, literals, operators, statements, filters, tests, methods,
/// globals, errors), each rendered here and compared with jinja2's rendering in cases.expected.json, byte for byte.
/// </summary>
public sealed class JinjaCaseTests
{
    static readonly string Folder = Path.Combine(TestPaths.RepositoryRoot, "tests", "Model.Tests", "Jinja");
    static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() => Load("cases.json")
        .EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!));
    static readonly Lazy<JsonElement> Expected = new(() => Load("cases.expected.json"));

    public static TheoryData<string> Names() => [.. Cases.Value.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void RendersAsJinja2Does(string name)
    {
        var @case = Cases.Value[name];
        var variables = @case.TryGetProperty("variables", out var given)
            ? given.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value)
            : [];
        Jinja2Expectation.From(Expected.Value.GetProperty(name))
            .Check(() => JinjaTemplate.Parse(@case.GetProperty("template").GetString()!).Render(variables, FixedClock.Instance));
    }

    [Fact]
    public void EveryCaseHasAnExpectation() => Assert.All(Cases.Value.Keys, name => Assert.True(Expected.Value.TryGetProperty(name, out _), name));

    static JsonElement Load(string file) => JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, file))).RootElement;
}
