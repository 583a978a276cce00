namespace Rex.Model.Jinja;

/// <summary>Python's None: what `none`/`None` and JSON null are.</summary>
internal sealed class NoneValue : Value
{
    public static readonly NoneValue Instance = new();

    NoneValue() { }

    public override string TypeName => "NoneType";
    public override bool IsTrue => false;
    public override string ToString() => "None";
}
