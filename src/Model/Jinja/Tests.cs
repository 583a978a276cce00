namespace Rex.Model.Jinja;

/// <summary>
/// jinja2's tests (`x is defined`, `x is string`, `n is divisibleby 3`), with Python's type rules: bool is a number
/// but not an integer test's int, Undefined is iterable and a sequence, a dict is a mapping.
/// </summary>
internal static class Tests
{
    static readonly Dictionary<string, Func<Value, Arguments, bool>> All = new(StringComparer.Ordinal)
    {
        ["boolean"] = (value, args) => Unary(args, "boolean") && value is BoolValue,
        // Python's callable(): Undefined is, though calling it fails.
        ["callable"] = (value, args) => Unary(args, "callable") && value is CallableValue or UndefinedValue,
        ["defined"] = (value, args) => Unary(args, "defined") && value is not UndefinedValue,
        ["divisibleby"] = DivisibleBy,
        ["eq"] = (value, args) => value.EqualTo(Other(args, "eq")),
        ["equalto"] = (value, args) => value.EqualTo(Other(args, "equalto")),
        ["=="] = (value, args) => value.EqualTo(Other(args, "==")),
        // Nothing is markup here: Hugging Face renders with autoescape off.
        ["escaped"] = (value, args) => !Unary(args, "escaped"),
        ["even"] = (value, args) => Unary(args, "even") && Operators.Binary("%", value, Value.From(2)).EqualTo(Value.From(0)),
        ["false"] = (value, args) => Unary(args, "false") && value is BoolValue { Value: false },
        ["filter"] = (value, args) => Unary(args, "filter") && value is StringValue name && Filters.Exists(name.Value),
        ["float"] = (value, args) => Unary(args, "float") && value is FloatValue,
        ["ge"] = (value, args) => Operators.Compare(">=", value, Other(args, "ge")),
        [">="] = (value, args) => Operators.Compare(">=", value, Other(args, ">=")),
        ["greaterthan"] = (value, args) => Operators.Compare(">", value, Other(args, "greaterthan")),
        ["gt"] = (value, args) => Operators.Compare(">", value, Other(args, "gt")),
        [">"] = (value, args) => Operators.Compare(">", value, Other(args, ">")),
        ["in"] = (value, args) => Operators.Contains(Other(args, "in"), value),
        ["integer"] = (value, args) => Unary(args, "integer") && value is IntValue,
        ["iterable"] = (value, args) => Unary(args, "iterable") && value.Iterate() is not null,
        ["le"] = (value, args) => Operators.Compare("<=", value, Other(args, "le")),
        ["<="] = (value, args) => Operators.Compare("<=", value, Other(args, "<=")),
        ["lessthan"] = (value, args) => Operators.Compare("<", value, Other(args, "lessthan")),
        ["lower"] = (value, args) => Unary(args, "lower") && StringMethods.IsLower(value.ToString()!),
        ["lt"] = (value, args) => Operators.Compare("<", value, Other(args, "lt")),
        ["<"] = (value, args) => Operators.Compare("<", value, Other(args, "<")),
        ["mapping"] = (value, args) => Unary(args, "mapping") && value is DictValue,
        ["ne"] = (value, args) => !value.EqualTo(Other(args, "ne")),
        ["!="] = (value, args) => !value.EqualTo(Other(args, "!=")),
        ["none"] = (value, args) => Unary(args, "none") && value is NoneValue,
        ["number"] = (value, args) => Unary(args, "number") && value is IntValue or FloatValue or BoolValue,
        ["odd"] = (value, args) => Unary(args, "odd") && Operators.Binary("%", value, Value.From(2)).EqualTo(Value.From(1)),
        ["sameas"] = (value, args) => SameAs(value, Other(args, "sameas")),
        ["sequence"] = (value, args) => Unary(args, "sequence") && value.Length is not null && value is not (NamespaceValue or LoopValue),
        ["string"] = (value, args) => Unary(args, "string") && value is StringValue,
        ["test"] = (value, args) => Unary(args, "test") && value is StringValue name && Exists(name.Value),
        ["true"] = (value, args) => Unary(args, "true") && value is BoolValue { Value: true },
        ["undefined"] = (value, args) => Unary(args, "undefined") && value is UndefinedValue,
        ["upper"] = (value, args) => Unary(args, "upper") && StringMethods.IsUpper(value.ToString()!),
    };

    public static bool Exists(string name) => All.ContainsKey(name);

    public static bool Apply(string name, Value value, Arguments arguments) => All[name](value, arguments);

    // A test that takes nothing besides the value: true, so that it can lead an && chain.
    static bool Unary(Arguments arguments, string name)
    {
        arguments.Bind(name);
        return true;
    }

    static Value Other(Arguments arguments, string name) =>
        arguments.Bind(name, "other")[0] ?? throw new JinjaRenderException($"test '{name}' needs a value to compare with");

    static bool DivisibleBy(Value value, Arguments arguments)
    {
        var divisor = arguments.Bind("divisibleby", "num")[0] ?? throw new JinjaRenderException("test 'divisibleby' needs a divisor");
        return Operators.Binary("%", value, divisor).EqualTo(Value.From(0));
    }

    // Python's `is`: None, True and False are singletons here as there; equal ints count as the same object.
    static bool SameAs(Value value, Value other) =>
        ReferenceEquals(value, other) || value is IntValue a && other is IntValue b && a.Value == b.Value;
}
