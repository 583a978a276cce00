namespace Rex.Model.Jinja;

/// <summary>
/// Python's hashing for dict keys: equal values hash alike across int, float and bool (1, 1.0 and True are one key);
/// lists and dicts are unhashable.
/// </summary>
internal sealed class ValueKeys : IEqualityComparer<Value>
{
    public static readonly ValueKeys Comparer = new();

    public bool Equals(Value? x, Value? y) => x is not null && y is not null && x.EqualTo(y);

    public int GetHashCode(Value value) => value switch
    {
        StringValue text => StringComparer.Ordinal.GetHashCode(text.Value),
        ListValue { Kind: SequenceKind.Tuple } tuple => tuple.Items.Aggregate(17, (hash, item) => hash * 31 + GetHashCode(item)),
        ListValue or DictValue => throw new JinjaRenderException($"unhashable type: '{value.TypeName}'"),
        _ when value.TryGetNumber(out var number) => number == Math.Floor(number) && Math.Abs(number) < 9.2e18
            ? ((long)number).GetHashCode()
            : number.GetHashCode(),
        NoneValue or UndefinedValue => 0,
        _ => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(value),
    };
}
