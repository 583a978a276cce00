namespace Rex.Model.Jinja;

/// <summary>
/// The functions every template can call: jinja2's range, namespace and dict, and Hugging Face's raise_exception and
/// strftime_now (the time from the render's clock, formatted as C's strftime does).
/// </summary>
internal static class Globals
{
    // Hugging Face renders in jinja2's sandbox, which refuses longer ranges.
    const int MaxRange = 100_000;

    public static Frame Create(TimeProvider clock)
    {
        var globals = new Frame(null);
        globals.Set("range", new BuiltinFunction("range", Range));
        globals.Set("namespace", new BuiltinFunction("namespace", arguments => new NamespaceValue(Entries("namespace", arguments))));
        globals.Set("dict", new BuiltinFunction("dict", arguments => new DictValue(
            Entries("dict", arguments).Select(e => new KeyValuePair<Value, Value>(new StringValue(e.Key), e.Value)))));
        globals.Set("raise_exception", new BuiltinFunction("raise_exception", RaiseException));
        globals.Set("strftime_now", new BuiltinFunction("strftime_now", arguments => StrftimeNow(arguments, clock)));
        return globals;
    }

    static Value Range(Arguments arguments)
    {
        var bounds = arguments.OnlyPositional("range").Select(bound => bound is not FloatValue && bound.TryGetInteger(out var n)
            ? n
            : throw new JinjaRenderException($"'{bound.TypeName}' object cannot be interpreted as an integer")).ToArray();
        var (start, stop, step) = bounds switch
        {
            [var end] => (0L, end, 1L),
            [var from, var end] => (from, end, 1L),
            [var from, var end, var by] => (from, end, by),
            _ => throw new JinjaRenderException($"range expected 1 to 3 arguments, got {bounds.Length}"),
        };
        if (step == 0) throw new JinjaRenderException("range() arg 3 must not be zero");
        var count = Math.Max(0, step > 0 ? (stop - start + step - 1) / step : (start - stop - step - 1) / -step);
        if (count > MaxRange) throw new JinjaRenderException($"Range too big. The sandbox blocks ranges larger than MAX_RANGE ({MaxRange}).");
        return new ListValue([.. Enumerable.Range(0, (int)count).Select(i => Value.From(start + i * step))]);
    }

    /// <summary>What dict(...) and namespace(...) take: an optional mapping (or sequence of pairs), then keywords.</summary>
    static OrderedDictionary<string, Value> Entries(string function, Arguments arguments)
    {
        var entries = new OrderedDictionary<string, Value>(StringComparer.Ordinal);
        if (arguments.Positional.Count > 1) throw new JinjaRenderException($"{function} expected at most 1 argument, got {arguments.Positional.Count}");
        if (arguments.Positional is [var initial])
        {
            IEnumerable<KeyValuePair<Value, Value>> pairs = initial is DictValue dict
                ? dict.Entries
                : (initial.Iterate() ?? throw new JinjaRenderException($"'{initial.TypeName}' object is not iterable")).Select(Pair);
            foreach (var (key, value) in pairs) entries[key.ToString()!] = value;
        }
        foreach (var (name, value) in arguments.Keywords) entries[name] = value;
        return entries;
    }

    static KeyValuePair<Value, Value> Pair(Value item) => item.Iterate() is [var key, var value]
        ? new(key, value)
        : throw new JinjaRenderException("dictionary update sequence element has wrong length; 2 is required");

    static Value RaiseException(Arguments arguments)
    {
        var message = arguments.Bind("raise_exception", "message")[0] ?? throw new JinjaRenderException("raise_exception() needs a message");
        throw new JinjaRaisedException(message.ToString()!);
    }

    static Value StrftimeNow(Arguments arguments, TimeProvider clock)
    {
        var format = arguments.Bind("strftime_now", "format")[0] ?? throw new JinjaRenderException("strftime_now() needs a format");
        return new StringValue(Strftime.Format(clock.GetLocalNow(), format.ToString()!));
    }
}
