namespace Rex.Model.Jinja;

/// <summary>
/// Jinja's default Undefined: a missing variable, attribute or item. It prints as nothing, is false, iterates as
/// empty and has length 0; looking into it gives it back; calling it or computing with it fails with
/// <see cref="Hint"/>, which says what was missing (jinja2's words: "'x' is undefined").
/// </summary>
internal sealed class UndefinedValue(string hint) : Value
{
    public string Hint => hint;

    public static UndefinedValue Named(string name) => new($"'{name}' is undefined");

    public static UndefinedValue MissingAttribute(Value owner, string name) =>
        new($"'{Describe(owner)}' has no attribute '{name}'");

    public static UndefinedValue MissingItem(Value owner, Value key) =>
        new($"'{Describe(owner)}' has no {(key is StringValue ? "attribute" : "element")} {key.Repr()}");

    public override string TypeName => "Undefined";
    public override bool IsTrue => false;
    public override int? Length => 0;
    public override string ToString() => "";
    public override string Repr() => "Undefined";
    public override Value? GetAttribute(string name) => this;
    public override Value? GetItem(Value key) => this;
    public override IReadOnlyList<Value> Iterate() => [];
    public override bool EqualTo(Value other) => other is UndefinedValue;

    // jinja2's object_type_repr: None is 'None', everything else '<type> object'.
    static string Describe(Value owner) => owner is NoneValue ? "None" : $"{owner.TypeName} object";
}
