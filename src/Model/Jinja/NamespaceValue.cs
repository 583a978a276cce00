namespace Rex.Model.Jinja;

/// <summary>
/// What namespace(...) makes: the one mutable object a template has, whose attributes `{% set ns.x = ... %}` assigns,
/// so that a loop body can leave results behind (its own `set`s end with each iteration).
/// </summary>
internal sealed class NamespaceValue(OrderedDictionary<string, Value> attributes) : Value
{
    public override string TypeName => "Namespace";
    public override Value? GetAttribute(string name) => attributes.GetValueOrDefault(name);
    public override Value? GetItem(Value key) => key is StringValue name ? GetAttribute(name.Value) : null;
    public override string ToString() => Repr();

    public override string Repr() =>
        "<Namespace {" + string.Join(", ", attributes.Select(a => $"{PythonText.Repr(a.Key)}: {a.Value.Repr()}")) + "}>";

    public void Set(string name, Value value) => attributes[name] = value;
}
