namespace Rex.Model.Jinja;

/// <summary>Python's int, held in 64 bits: arithmetic that leaves them fails instead of growing.</summary>
internal sealed class IntValue(long value) : Value
{
    public long Value => value;

    public override string TypeName => "int";
    public override bool IsTrue => value != 0;
    public override string ToString() => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public override bool EqualTo(Value other) =>
        other.TryGetInteger(out var integer) ? integer == value : other.TryGetNumber(out var number) && number == value;

    public override bool TryGetNumber(out double number)
    {
        number = value;
        return true;
    }

    public override bool TryGetInteger(out long integer)
    {
        integer = value;
        return true;
    }
}
