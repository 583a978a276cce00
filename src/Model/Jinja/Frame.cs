namespace Rex.Model.Jinja;

/// <summary>
/// One scope of variables. As in jinja2, each `for` iteration, macro call and `with` block gets a child frame, so
/// its `set`s end with it; `if` bodies share their frame. Lookups walk out to the render's variables and the globals.
/// </summary>
internal sealed class Frame(Frame? parent)
{
    readonly Frame? parent = parent;
    readonly Dictionary<string, Value> variables = new(StringComparer.Ordinal);

    public Value Lookup(string name)
    {
        for (var frame = this; frame is not null; frame = frame.parent)
            if (frame.variables.TryGetValue(name, out var value)) return value;
        return UndefinedValue.Named(name);
    }

    public void Set(string name, Value value) => variables[name] = value;

    public Frame Child() => new(this);
}
