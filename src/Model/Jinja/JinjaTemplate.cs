using System.Text;

namespace Rex.Model.Jinja;

/// <summary>
/// A parsed Jinja template, rendered as Hugging Face renders chat templates: jinja2 with trim_blocks, lstrip_blocks
/// and the loopcontrols extension, no autoescape, HF's tojson, raise_exception and strftime_now. Parse once, then
/// render per request; rendering is thread-safe.
/// </summary>
/// <example>
/// <code>
/// var template = JinjaTemplate.Parse("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}");
/// var text = template.Render(new Dictionary&lt;string, object?&gt; { ["messages"] = messages });
/// </code>
/// </example>
public sealed class JinjaTemplate
{
    readonly IReadOnlyList<Statement> body;
    readonly SourceMap map;

    JinjaTemplate(string source, IReadOnlyList<Statement> body, SourceMap map)
    {
        Source = source;
        this.body = body;
        this.map = map;
    }

    public string Source { get; }

    /// <exception cref="JinjaParseException">The source is not valid Jinja, or uses what this engine does not support.</exception>
    public static JinjaTemplate Parse(string source)
    {
        var (body, map) = Parser.Parse(source);
        return new JinjaTemplate(source, body, map);
    }

    /// <summary>Renders with the variables (strings, numbers, bools, null, dictionaries, lists, JSON) and the system clock.</summary>
    /// <exception cref="JinjaRenderException">Rendering failed; the message says what and where.</exception>
    /// <exception cref="JinjaRaisedException">The template called raise_exception; the message is the template's.</exception>
    public string Render(IReadOnlyDictionary<string, object?> variables) => Render(variables, TimeProvider.System);

    /// <summary>Renders with the variables; strftime_now reads the local time of `clock`.</summary>
    public string Render(IReadOnlyDictionary<string, object?> variables, TimeProvider clock)
    {
        var frame = Globals.Create(clock).Child();
        foreach (var (name, value) in variables) frame.Set(name, ValueConverter.From(value));
        var output = new StringBuilder();
        new Renderer(map).Render(body, frame, output);
        return output.ToString();
    }
}
