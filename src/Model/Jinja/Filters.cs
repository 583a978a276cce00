namespace Rex.Model.Jinja;

/// <summary>
/// jinja2's built-in filters that chat templates use, with jinja2's parameters and defaults; `tojson` is Hugging
/// Face's override (json.dumps with ensure_ascii=False). Filters that return generators in jinja2 (map, select,
/// selectattr, reject, rejectattr, unique, reverse, items) return a <see cref="SequenceKind.Generator"/>, which is
/// true even when empty, as a generator is in Python.
/// </summary>
internal static partial class Filters
{
    static readonly Dictionary<string, Func<Value, Arguments, Value>> All = new(StringComparer.Ordinal)
    {
        ["abs"] = Abs,
        ["attr"] = Attr,
        ["capitalize"] = (value, args) => Text(value, args, "capitalize", PythonStrings.Capitalize),
        ["count"] = Length,
        ["d"] = Default,
        ["default"] = Default,
        ["dictsort"] = DictSort,
        ["e"] = Escape,
        ["escape"] = Escape,
        ["first"] = First,
        ["float"] = ToFloat,
        ["forceescape"] = ForceEscape,
        ["format"] = Format,
        ["indent"] = Indent,
        ["int"] = ToInt,
        ["items"] = Items,
        ["join"] = Join,
        ["last"] = Last,
        ["length"] = Length,
        ["list"] = List,
        ["lower"] = (value, args) => Text(value, args, "lower", s => s.ToLowerInvariant()),
        ["map"] = Map,
        ["max"] = (value, args) => Extreme(value, args, "max", wantLargest: true),
        ["min"] = (value, args) => Extreme(value, args, "min", wantLargest: false),
        ["reject"] = (value, args) => Select(value, args, "reject", keep: false),
        ["rejectattr"] = (value, args) => SelectAttribute(value, args, "rejectattr", keep: false),
        ["replace"] = Replace,
        ["reverse"] = Reverse,
        ["round"] = Round,
        ["safe"] = Safe,
        ["select"] = (value, args) => Select(value, args, "select", keep: true),
        ["selectattr"] = (value, args) => SelectAttribute(value, args, "selectattr", keep: true),
        ["sort"] = Sort,
        ["string"] = (value, args) => Text(value, args, "string", s => s),
        ["sum"] = Sum,
        ["title"] = Title,
        ["tojson"] = ToJson,
        ["trim"] = Trim,
        ["unique"] = Unique,
        ["upper"] = (value, args) => Text(value, args, "upper", s => s.ToUpperInvariant()),
        ["wordcount"] = WordCount,
    };

    public static bool Exists(string name) => All.ContainsKey(name);

    public static Value Apply(string name, Value value, Arguments arguments) => All[name](value, arguments);

    /// <summary>A filter of str(value) that takes no arguments.</summary>
    static Value Text(Value value, Arguments arguments, string name, Func<string, string> transform)
    {
        arguments.Bind(name);
        return new StringValue(transform(value.ToString()!));
    }

    /// <summary>
    /// jinja2's attribute getter for map/selectattr/sort: "a.b.0" looks up a, then b, then item 0 (an integer part
    /// indexes), each step as `x[part]` does; a missing step gives Undefined (or the default).
    /// </summary>
    static Func<Value, Value> AttributeGetter(Value attribute, Value? fallback = null)
    {
        var parts = attribute is StringValue path
            ? path.Value.Split('.').Select(part => long.TryParse(part, out var index) ? Value.From(index) : new StringValue(part)).ToArray()
            : [attribute];
        return item =>
        {
            foreach (var part in parts) item = Renderer.Item(item, part);
            return item is UndefinedValue && fallback is not null ? fallback : item;
        };
    }

    static IReadOnlyList<Value> Iterate(Value value, string filter) =>
        value.Iterate() ?? throw new JinjaRenderException($"{filter}: '{value.TypeName}' object is not iterable");

    static Value Generator(IEnumerable<Value> items) => new ListValue([.. items], SequenceKind.Generator);

    static string? OptionalString(Value? value) => value is null or NoneValue ? null : value.ToString();

    static long Integer(Value? value, string filter, string parameter, long fallback)
    {
        if (value is null) return fallback;
        return value.TryGetInteger(out var integer) ? integer : throw new JinjaRenderException($"{filter}: {parameter} must be an integer");
    }
}
