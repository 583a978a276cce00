namespace Rex.Model.Jinja;

/// <summary>What a sequence is in Python terms, which decides how it prints, compares and answers len().</summary>
internal enum SequenceKind
{
    List,
    Tuple,

    /// <summary>A lazy result (map, select, selectattr, reverse, items): always true, no len(), not subscriptable.</summary>
    Generator,
}

/// <summary>
/// Python's list, tuple and the generators filters return, all immutable: the sandbox HF renders in refuses to
/// mutate them, so templates never do.
/// </summary>
internal sealed class ListValue(IReadOnlyList<Value> items, SequenceKind kind = SequenceKind.List) : Value
{
    public IReadOnlyList<Value> Items => items;
    public SequenceKind Kind => kind;

    public override string TypeName => kind switch
    {
        SequenceKind.Tuple => "tuple",
        SequenceKind.Generator => "generator",
        _ => "list",
    };

    public override bool IsTrue => kind == SequenceKind.Generator || items.Count > 0;
    public override int? Length => kind == SequenceKind.Generator ? null : items.Count;
    public override IReadOnlyList<Value> Iterate() => items;
    public override string ToString() => Repr();

    public override string Repr() => kind switch
    {
        SequenceKind.Tuple => items.Count == 1 ? $"({items[0].Repr()},)" : $"({Join()})",
        SequenceKind.Generator => "<generator object>",
        _ => $"[{Join()}]",
    };

    public override bool EqualTo(Value other) =>
        ReferenceEquals(this, other) || other is ListValue list && kind != SequenceKind.Generator && list.Kind == kind
            && list.Items.Count == items.Count && items.Select((item, i) => item.EqualTo(list.Items[i])).All(equal => equal);

    public override Value? GetItem(Value key) =>
        kind != SequenceKind.Generator && key.TryGetInteger(out var index) && Slices.Index(index, items.Count) is { } at
            ? items[at]
            : null;

    public override Value? GetAttribute(string name) =>
        kind == SequenceKind.Generator ? null : CollectionMethods.BindList(this, name);

    string Join() => string.Join(", ", items.Select(item => item.Repr()));
}
