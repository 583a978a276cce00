namespace Rex.Model.Jinja;

/// <summary>Python's True and False; as in Python they are also the integers 1 and 0.</summary>
internal sealed class BoolValue : Value
{
    public static readonly BoolValue True = new(true);
    public static readonly BoolValue False = new(false);

    BoolValue(bool value) => Value = value;

    public bool Value { get; }

    public override string TypeName => "bool";
    public override bool IsTrue => Value;
    public override string ToString() => Value ? "True" : "False";

    public override bool EqualTo(Value other) => other.TryGetNumber(out var number) && number == (Value ? 1 : 0);

    public override bool TryGetNumber(out double number)
    {
        number = Value ? 1 : 0;
        return true;
    }

    public override bool TryGetInteger(out long integer)
    {
        integer = Value ? 1 : 0;
        return true;
    }
}
