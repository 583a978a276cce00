namespace Rex.Model.Jinja;

/// <summary>Python's float; prints as Python's repr does (1.0, 0.1, 1e+16).</summary>
internal sealed class FloatValue(double value) : Value
{
    public double Value => value;

    public override string TypeName => "float";
    public override bool IsTrue => value != 0;
    public override string ToString() => PythonText.Float(value);
    public override bool EqualTo(Value other) => other.TryGetNumber(out var number) && number == value;

    public override bool TryGetNumber(out double number)
    {
        number = value;
        return true;
    }
}
