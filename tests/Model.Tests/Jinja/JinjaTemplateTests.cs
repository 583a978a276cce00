using System.Text.Json;
using System.Text.Json.Nodes;
using Rex.Model.Jinja;

namespace Rex.Model.Tests.Jinja;

/// <summary>The engine's API and its errors; the language itself is compared with jinja2 in <see cref="JinjaCaseTests"/>.</summary>
public sealed class JinjaTemplateTests
{
    static string Render(string source, IReadOnlyDictionary<string, object?>? variables = null) =>
        JinjaTemplate.Parse(source).Render(variables ?? new Dictionary<string, object?>(), FixedClock.Instance);

    [Fact]
    public void ParseErrorsNameLineAndColumn()
    {
        var error = Assert.Throws<JinjaParseException>(() => JinjaTemplate.Parse("Hello\n  {{ 1 + }}"));
        Assert.Equal((2, 10), (error.Line, error.Column));
        Assert.StartsWith("line 2, column 10: unexpected end of print statement", error.Message);
    }

    [Fact]
    public void AnUnclosedBlockNamesTheTagThatOpenedIt()
    {
        var error = Assert.Throws<JinjaParseException>(() => JinjaTemplate.Parse("{% for x in y %}\n  {% if x %}{{ x }}\n{% endfor %}"));
        Assert.Contains("unexpected 'endfor'", error.Message);
        error = Assert.Throws<JinjaParseException>(() => JinjaTemplate.Parse("{% for x in y %}\n{% if x %}\n"));
        Assert.Contains("the 'if' at line 2 is not closed (expected 'elif' or 'else' or 'endif')", error.Message);
    }

    [Theory]
    [InlineData("{% include 'other.jinja' %}", "'include' is not supported")]
    [InlineData("{% extends 'base' %}", "'extends' is not supported")]
    [InlineData("{% for x in y recursive %}{% endfor %}", "recursive loops are not supported")]
    [InlineData("{% do x %}", "unknown tag 'do'")]
    [InlineData("{{ x | nofilter }}", "no filter named 'nofilter'")]
    [InlineData("{{ '\\N{DASH}' }}", "named unicode escapes")]
    public void WhatIsNotSupportedFailsToParseSayingSo(string source, string reason) =>
        Assert.Contains(reason, Assert.Throws<JinjaParseException>(() => JinjaTemplate.Parse(source)).Reason);

    [Fact]
    public void RenderErrorsNameWhatFailedAndWhere()
    {
        var error = Assert.Throws<JinjaRenderException>(() => Render("ok\n  {{ 'a' + none }}"));
        Assert.Equal("can only concatenate str (not \"NoneType\") to str", error.Reason);
        Assert.Equal((2, 3), (error.Line, error.Column));
        error = Assert.Throws<JinjaRenderException>(() => Render("{% macro m(x) %}\n{{ x + 1 }}{% endmacro %}{{ m('a') }}"));
        Assert.StartsWith("line 2, column 1: can only concatenate str (not \"int\") to str", error.Message);
    }

    [Fact]
    public async Task MacroRecursionStopsAtJinja2sDepthInsteadOfOverflowingTheStack()
    {
        var template = JinjaTemplate.Parse("{% macro m(n) %}{% if n > 0 %}{{ m(n - 1) }}{% else %}done{% endif %}{% endmacro %}{{ m(depth) }}");
        string Render(int depth) => template.Render(new Dictionary<string, object?> { ["depth"] = depth });
        // On a thread-pool thread, whose stack is the smallest a render gets.
        Assert.Equal("done", await Task.Run(() => Render(149)));
        var error = await Assert.ThrowsAsync<JinjaRenderException>(() => Task.Run(() => Render(100_000)));
        Assert.Contains("maximum recursion depth exceeded calling macro 'm'", error.Message);
    }

    [Fact]
    public void RaiseExceptionThrowsTheTemplatesMessage()
    {
        var raised = Assert.Throws<JinjaRaisedException>(() => Render("{{ raise_exception('Roles must alternate, got ' ~ role) }}",
            new Dictionary<string, object?> { ["role"] = "tool" }));
        Assert.Equal("Roles must alternate, got tool", raised.Message);
    }

    [Fact]
    public void UndefinedPrintsNothingAndLookingIntoItGivesUndefined()
    {
        // jinja2's default Undefined fails on foo.bar; here it is Undefined too, so a template probing optional fields renders.
        Assert.Equal("[]|False|[]|0", Render("[{{ foo }}]|{{ foo.bar is defined }}|[{{ foo['x'].y }}]|{{ foo.items | length }}"));
        Assert.Equal("'foo' is undefined", Assert.Throws<JinjaRenderException>(() => Render("{{ foo.bar() }}")).Reason);
    }

    [Fact]
    public void VariablesMayBeClrValuesOrJson()
    {
        var variables = new Dictionary<string, object?>
        {
            ["i"] = 3,
            ["l"] = 4L,
            ["d"] = 0.5,
            ["m"] = 1.25m,
            ["b"] = true,
            ["n"] = null,
            ["array"] = new[] { "x", "y" },
            ["list"] = new List<object?> { 1, null, "z" },
            ["dict"] = new Dictionary<string, object?> { ["k"] = new Dictionary<string, int> { ["inner"] = 1 } },
            ["node"] = JsonNode.Parse("""{"a": [1, 2.0, "three", null, false]}"""),
            ["element"] = JsonDocument.Parse("""{"whole": 10, "real": 10.0, "exp": 1e2}""").RootElement,
        };
        Assert.Equal("3 4 0.5 1.25 True None ['x', 'y'] [1, None, 'z'] {'k': {'inner': 1}} {'a': [1, 2.0, 'three', None, False]} 10 10.0 100.0",
            Render("{{ i }} {{ l }} {{ d }} {{ m }} {{ b }} {{ n }} {{ array }} {{ list }} {{ dict }} {{ node }} "
                + "{{ element.whole }} {{ element.real }} {{ element.exp }}", variables));
    }

    [Fact]
    public void AValueOfAnotherKindIsRefused() =>
        Assert.Throws<ArgumentException>(() => Render("{{ x }}", new Dictionary<string, object?> { ["x"] = new Uri("http://a") }));

    [Fact]
    public void OneParsedTemplateRendersOnManyThreadsAtOnce()
    {
        var template = JinjaTemplate.Parse("{% set ns = namespace(total=0) %}{% for i in range(n) %}{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }}");
        var results = new string[64];
        Parallel.For(0, results.Length, n => results[n] = template.Render(new Dictionary<string, object?> { ["n"] = n }));
        Assert.Equal(Enumerable.Range(0, 64).Select(n => (n * (n - 1) / 2).ToString(System.Globalization.CultureInfo.InvariantCulture)), results);
    }

    [Fact]
    public void StrftimeNowReadsTheRendersClock() =>
        Assert.Equal("2025-06-15", JinjaTemplate.Parse("{{ strftime_now('%Y-%m-%d') }}").Render(new Dictionary<string, object?>(), FixedClock.Instance));
}
