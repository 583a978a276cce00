namespace Rex.Model.Jinja;

/// <summary>
/// The methods of dicts (items, keys, values, get) and lists (index, count). Methods that would mutate are what
/// Hugging Face's immutable sandbox refuses: looking one up gives an Undefined that says so when called.
/// </summary>
internal static class CollectionMethods
{
    static readonly HashSet<string> MutatingDictMethods = ["clear", "pop", "popitem", "setdefault", "update"];
    static readonly HashSet<string> MutatingListMethods = ["append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"];

    public static Value? BindDict(DictValue dict, string name) => name switch
    {
        "items" => Method("dict.items", a => Plain(a, "items", dict.Entries.Select(e => new ListValue([e.Key, e.Value], SequenceKind.Tuple)))),
        "keys" => Method("dict.keys", a => Plain(a, "keys", dict.Entries.Keys)),
        "values" => Method("dict.values", a => Plain(a, "values", dict.Entries.Values)),
        "get" => Method("dict.get", a => Get(dict, a)),
        "copy" => Method("dict.copy", a => Plain(a, "copy", dict)),
        _ when MutatingDictMethods.Contains(name) => Refused(name, "dict"),
        _ => null,
    };

    public static Value? BindList(ListValue list, string name) => name switch
    {
        "index" => Method($"{list.TypeName}.index", a => IndexOf(list, a)),
        "count" => Method($"{list.TypeName}.count", a => Value.From(list.Items.Count(item => item.EqualTo(Needle(a, "count"))))),
        _ when list.Kind == SequenceKind.List && MutatingListMethods.Contains(name) => Refused(name, "list"),
        _ => null,
    };

    static BuiltinFunction Method(string name, Func<Arguments, Value> body) => new(name, body);

    static Value Plain(Arguments arguments, string name, IEnumerable<Value> items)
    {
        arguments.Bind(name);
        return new ListValue([.. items]);
    }

    static Value Plain(Arguments arguments, string name, Value result)
    {
        arguments.Bind(name);
        return result;
    }

    static Value Get(DictValue dict, Arguments arguments)
    {
        var slots = arguments.Bind("get", "key", "default");
        var key = slots[0] ?? throw new JinjaRenderException("get expected at least 1 argument, got 0");
        return dict.Entries.GetValueOrDefault(key) ?? slots[1] ?? NoneValue.Instance;
    }

    static Value IndexOf(ListValue list, Arguments arguments)
    {
        var needle = Needle(arguments, "index");
        for (var i = 0; i < list.Items.Count; i++)
            if (list.Items[i].EqualTo(needle)) return Value.From(i);
        throw new JinjaRenderException($"{needle.Repr()} is not in {list.TypeName}");
    }

    static Value Needle(Arguments arguments, string name) =>
        arguments.Bind(name, "value")[0] ?? throw new JinjaRenderException($"{name}() takes exactly one argument (0 given)");

    static UndefinedValue Refused(string name, string type) => new($"access to attribute '{name}' of '{type}' object is unsafe.");
}
