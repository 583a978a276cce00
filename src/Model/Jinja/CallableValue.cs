namespace Rex.Model.Jinja;

/// <summary>Anything a template can call: a global (range, namespace), a bound method ('a'.upper), a macro.</summary>
internal abstract class CallableValue(string name) : Value
{
    public string Name => name;

    public override string TypeName => "function";
    public override string ToString() => $"<function {name}>";

    public abstract Value Call(Arguments arguments);
}

/// <summary>A callable written in C#: the globals and the bound methods of strings, lists and dicts.</summary>
internal sealed class BuiltinFunction(string name, Func<Arguments, Value> body) : CallableValue(name)
{
    public override Value Call(Arguments arguments) => body(arguments);
}
