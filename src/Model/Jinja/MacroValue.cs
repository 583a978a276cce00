namespace Rex.Model.Jinja;

/// <summary>
/// A macro, or the `caller` of a call block: calling it renders its body in a child of the frame it was defined in
/// (so it sees the variables there as they are when called) and returns the text.
/// </summary>
internal sealed class MacroValue(string name, IReadOnlyList<Parameter> parameters, IReadOnlyList<Statement> body, Frame closure, Renderer renderer)
    : CallableValue(name)
{
    public IReadOnlyList<Parameter> Parameters => parameters;
    public IReadOnlyList<Statement> Body => body;
    public Frame Closure => closure;

    public override string ToString() => $"<Macro '{Name}'>";

    public override Value Call(Arguments arguments) => renderer.RunMacro(this, arguments);
}
