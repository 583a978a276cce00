using System.Text.Json;
using Rex.Model.Jinja;

namespace Rex.Model.Tests.Jinja;

/// <summary>
/// What generate_expected.py recorded for one rendering under Python's jinja2: the output, or how it failed (a parse
/// error, the template's raise_exception, another render error). Asserts that this engine does the same.
/// </summary>
public sealed record Jinja2Expectation(string? Output, string? Error, string? Message)
{
    public static Jinja2Expectation From(JsonElement recorded) => new(
        recorded.TryGetProperty("output", out var output) ? output.GetString() : null,
        recorded.TryGetProperty("error", out var error) ? error.GetString() : null,
        recorded.TryGetProperty("message", out var message) ? message.GetString() : null);

    /// <summary>Renders as `render` does, and compares with what jinja2 did: the same bytes, or the same kind of failure.</summary>
    public void Check(Func<string> render)
    {
        switch (Error)
        {
            case null:
                Assert.Equal(Output, render());
                break;
            case "parse":
                Assert.Throws<JinjaParseException>(render);
                break;
            case "raised":
                Assert.Equal(Message, Assert.Throws<JinjaRaisedException>(render).Message);
                break;
            default:
                Assert.Equal(Message, Assert.Throws<JinjaRenderException>(render).Reason);
                break;
        }
    }
}
