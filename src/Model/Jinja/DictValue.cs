namespace Rex.Model.Jinja;

/// <summary>Python's dict: insertion-ordered, keyed by any hashable value; its methods are <see cref="CollectionMethods"/>.</summary>
internal sealed class DictValue : Value
{
    public DictValue(OrderedDictionary<Value, Value> entries) => Entries = entries;

    public DictValue(IEnumerable<KeyValuePair<Value, Value>> entries) : this(new OrderedDictionary<Value, Value>(ValueKeys.Comparer))
    {
        // Later duplicates win, as in a Python dict literal.
        foreach (var (key, value) in entries) Entries[key] = value;
    }

    public OrderedDictionary<Value, Value> Entries { get; }

    public override string TypeName => "dict";
    public override bool IsTrue => Entries.Count > 0;
    public override int? Length => Entries.Count;
    public override IReadOnlyList<Value> Iterate() => [.. Entries.Keys];
    public override Value? GetItem(Value key) => Entries.GetValueOrDefault(key);
    public override Value? GetAttribute(string name) => CollectionMethods.BindDict(this, name);
    public override string ToString() => Repr();

    public override string Repr() => "{" + string.Join(", ", Entries.Select(e => $"{e.Key.Repr()}: {e.Value.Repr()}")) + "}";

    public override bool EqualTo(Value other) =>
        ReferenceEquals(this, other) || other is DictValue dict && dict.Entries.Count == Entries.Count
            && Entries.All(e => dict.Entries.TryGetValue(e.Key, out var value) && value.EqualTo(e.Value));
}
