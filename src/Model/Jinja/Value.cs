namespace Rex.Model.Jinja;

/// <summary>
/// A value as a template sees it: Python's data model as far as chat templates reach into it (None, Jinja's Undefined,
/// bool, int, float, str, list and tuple, dict, namespace, callables). <see cref="ToString"/> is Python's str(),
/// <see cref="Repr"/> its repr(), <see cref="IsTrue"/> its truthiness.
/// </summary>
internal abstract class Value
{
    /// <summary>Python's name for the type, as its error messages word it ('str', 'int', 'NoneType').</summary>
    public abstract string TypeName { get; }

    public virtual bool IsTrue => true;

    public virtual string Repr() => ToString()!;

    /// <summary>What Python's getattr finds (a method, a namespace member), or null when it finds nothing.</summary>
    public virtual Value? GetAttribute(string name) => null;

    /// <summary>obj[key], or null when there is no such item.</summary>
    public virtual Value? GetItem(Value key) => null;

    /// <summary>What iterating the value yields, or null when Python could not iterate it.</summary>
    public virtual IReadOnlyList<Value>? Iterate() => null;

    /// <summary>len(value), or null when the value has no length.</summary>
    public virtual int? Length => null;

    /// <summary>Python's ==, which for numbers compares across int, float and bool.</summary>
    public virtual bool EqualTo(Value other) => ReferenceEquals(this, other);

    /// <summary>The value as a number (bool counts, as in Python), for arithmetic and ordering.</summary>
    public virtual bool TryGetNumber(out double number)
    {
        number = 0;
        return false;
    }

    /// <summary>The value as an int (bool counts, as in Python), for indexes and integer arithmetic.</summary>
    public virtual bool TryGetInteger(out long integer)
    {
        integer = 0;
        return false;
    }

    public static Value From(bool value) => value ? BoolValue.True : BoolValue.False;

    public static Value From(long value) => new IntValue(value);
}
