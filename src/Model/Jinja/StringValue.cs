namespace Rex.Model.Jinja;

/// <summary>
/// Python's str: indexed, sliced and counted by code point; its methods are <see cref="StringMethods"/>. A string
/// marked safe (markupsafe's Markup, from `|safe` or `|escape`) prints the same, but HTML-escapes a plain string
/// added to it with `+`, as some templates rely on (`"Use '"|safe + name`).
/// </summary>
internal sealed class StringValue(string value, bool isMarkup = false) : Value
{
    public static readonly StringValue Empty = new("");

    public string Value => value;
    public bool IsMarkup => isMarkup;

    public override string TypeName => "str";
    public override bool IsTrue => value.Length > 0;
    public override int? Length => CodePoints.Count(value);
    public override string ToString() => value;
    public override string Repr() => PythonText.Repr(value);
    public override bool EqualTo(Value other) => other is StringValue text && text.Value == value;
    public override Value? GetAttribute(string name) => StringMethods.Bind(this, name);

    public override IReadOnlyList<Value> Iterate() => [.. CodePoints.Split(value).Select(c => new StringValue(c))];

    public override Value? GetItem(Value key)
    {
        if (!key.TryGetInteger(out var index)) return null;
        var characters = CodePoints.Split(value);
        return Slices.Index(index, characters.Length) is { } at ? new StringValue(characters[at]) : null;
    }
}
