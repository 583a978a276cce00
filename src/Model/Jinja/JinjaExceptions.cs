namespace Rex.Model.Jinja;

/// <summary>Any failure of a template: it did not parse, it failed while rendering, or it raised an exception itself.</summary>
public abstract class JinjaException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The template source is not valid Jinja (or uses what this engine does not support); names line and column.</summary>
public sealed class JinjaParseException(string reason, int line, int column)
    : JinjaException($"line {line}, column {column}: {reason}")
{
    public string Reason => reason;
    public int Line => line;
    public int Column => column;
}

/// <summary>
/// Rendering failed: a type error, an undefined value used in arithmetic, a bad argument. Names what failed and,
/// once the statement is known, where (<see cref="Line"/> 0 until then).
/// </summary>
public sealed class JinjaRenderException(string reason, int line = 0, int column = 0)
    : JinjaException(line == 0 ? reason : $"line {line}, column {column}: {reason}")
{
    public string Reason => reason;
    public int Line => line;
    public int Column => column;

    internal JinjaRenderException At(int atLine, int atColumn) => line == 0 ? new(reason, atLine, atColumn) : this;
}

/// <summary>
/// The template called raise_exception(message), as chat templates do to refuse a conversation (roles out of order,
/// an unsupported role). <see cref="Exception.Message"/> is the template's message, unchanged.
/// </summary>
public sealed class JinjaRaisedException(string message) : JinjaException(message);
