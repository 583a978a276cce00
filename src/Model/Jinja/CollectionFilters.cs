namespace Rex.Model.Jinja;

/// <summary>The filters of sequences and mappings: length, first, join, sort, map, select and their kin.</summary>
internal static partial class Filters
{
    static Value Length(Value value, Arguments arguments)
    {
        arguments.Bind("length");
        return Value.From(value.Length ?? throw new JinjaRenderException($"object of type '{value.TypeName}' has no len()"));
    }

    static Value First(Value value, Arguments arguments)
    {
        arguments.Bind("first");
        var items = Iterate(value, "first");
        return items.Count > 0 ? items[0] : new UndefinedValue("No first item, sequence was empty.");
    }

    static Value Last(Value value, Arguments arguments)
    {
        arguments.Bind("last");
        var items = Iterate(value, "last");
        return items.Count > 0 ? items[^1] : new UndefinedValue("No last item, sequence was empty.");
    }

    static Value List(Value value, Arguments arguments)
    {
        arguments.Bind("list");
        return new ListValue(Iterate(value, "list"));
    }

    static Value Join(Value value, Arguments arguments)
    {
        var slots = arguments.Bind("join", "d", "attribute");
        IEnumerable<Value> items = Iterate(value, "join");
        if (slots[1] is { } attribute) items = items.Select(AttributeGetter(attribute));
        return new StringValue(string.Join(slots[0]?.ToString() ?? "", items.Select(item => item.ToString())));
    }

    static Value Reverse(Value value, Arguments arguments)
    {
        arguments.Bind("reverse");
        if (value is StringValue text) return new StringValue(PythonStrings.Reverse(text.Value));
        var reversed = Iterate(value, "reverse").Reverse();
        // reversed() of a list is an iterator; a generator, which cannot be reversed in place, becomes a list.
        return value is ListValue { Kind: SequenceKind.Generator } ? new ListValue([.. reversed]) : Generator(reversed);
    }

    static Value Items(Value value, Arguments arguments)
    {
        arguments.Bind("items");
        return value switch
        {
            UndefinedValue => Generator([]),
            DictValue dict => Generator(dict.Entries.Select(e => new ListValue([e.Key, e.Value], SequenceKind.Tuple))),
            _ => throw new JinjaRenderException("Can only get item pairs from a mapping."),
        };
    }

    static Value Sort(Value value, Arguments arguments)
    {
        var slots = arguments.Bind("sort", "reverse", "case_sensitive", "attribute");
        var key = SortKey(slots[1], slots[2]);
        return new ListValue(Operators.Sorted(Iterate(value, "sort"), key, descending: slots[0] is { IsTrue: true }));
    }

    static Value DictSort(Value value, Arguments arguments)
    {
        var slots = arguments.Bind("dictsort", "case_sensitive", "by", "reverse");
        if (value is not DictValue dict) throw new JinjaRenderException("dictsort: you can only sort a mapping");
        var by = slots[1]?.ToString() ?? "key";
        if (by is not ("key" or "value")) throw new JinjaRenderException("dictsort: you can only sort by either 'key' or 'value'");
        var pairs = dict.Entries.Select(e => (Value)new ListValue([e.Key, e.Value], SequenceKind.Tuple)).ToList();
        var key = SortKey(slots[0], Value.From(by == "key" ? 0 : 1));
        return new ListValue(Operators.Sorted(pairs, key, descending: slots[2] is { IsTrue: true }));
    }

    static Value Unique(Value value, Arguments arguments)
    {
        var slots = arguments.Bind("unique", "case_sensitive", "attribute");
        var key = SortKey(slots[0], slots[1]);
        var seen = new HashSet<Value>(ValueKeys.Comparer);
        return Generator(Iterate(value, "unique").Where(item => seen.Add(key(item))));
    }

    static Value Extreme(Value value, Arguments arguments, string name, bool wantLargest)
    {
        var slots = arguments.Bind(name, "case_sensitive", "attribute");
        var key = SortKey(slots[0], slots[1]);
        var items = Iterate(value, name);
        if (items.Count == 0) return new UndefinedValue("No aggregated item, sequence was empty.");
        // The first of equal items wins, as Python's min() and max() keep it.
        return items.Aggregate((best, item) => Operators.Order(key(item), key(best)) is var order && (wantLargest ? order > 0 : order < 0) ? item : best);
    }

    static Value Sum(Value value, Arguments arguments)
    {
        var slots = arguments.Bind("sum", "attribute", "start");
        IEnumerable<Value> items = Iterate(value, "sum");
        if (slots[0] is { } attribute) items = items.Select(AttributeGetter(attribute));
        return items.Aggregate(slots[1] ?? Value.From(0), (total, item) => Operators.Binary("+", total, item));
    }

    /// <summary>map(attribute='x', default=...) or map('filter', args...): each item through the getter or the filter.</summary>
    static Value Map(Value value, Arguments arguments)
    {
        // As jinja2, which maps over a false value (None, Undefined, []) without looking at it or the arguments.
        if (!value.IsTrue) return Generator([]);
        var items = Iterate(value, "map");
        if (arguments.Positional.Count == 0)
        {
            var slots = arguments.Bind("map", "attribute", "default");
            var getter = AttributeGetter(slots[0] ?? throw new JinjaRenderException("map: give a filter name or attribute="), slots[1]);
            return Generator(items.Select(getter));
        }
        var name = arguments.Positional[0].ToString()!;
        if (!Exists(name)) throw new JinjaRenderException($"map: no filter named '{name}'");
        var rest = new Arguments([.. arguments.Positional.Skip(1)], arguments.Keywords);
        return Generator(items.Select(item => Apply(name, item, rest)));
    }

    /// <summary>select/reject: items for which the named test (truthiness without one) passes, or fails.</summary>
    static Value Select(Value value, Arguments arguments, string name, bool keep)
    {
        // As jinja2, which selects from a false value (None, Undefined, []) without looking at it or the arguments.
        if (!value.IsTrue) return Generator([]);
        var test = Predicate(arguments.OnlyPositional(name), 0);
        return Generator(Iterate(value, name).Where(item => test(item) == keep));
    }

    /// <summary>selectattr/rejectattr: as select/reject, testing each item's attribute.</summary>
    static Value SelectAttribute(Value value, Arguments arguments, string name, bool keep)
    {
        if (!value.IsTrue) return Generator([]);
        var positional = arguments.OnlyPositional(name);
        if (positional.Count == 0) throw new JinjaRenderException($"{name}: missing attribute");
        var getter = AttributeGetter(positional[0]);
        var test = Predicate(positional, 1);
        return Generator(Iterate(value, name).Where(item => test(getter(item)) == keep));
    }

    // The test named at `at`, with the arguments after it; without a name, Python truthiness.
    static Func<Value, bool> Predicate(IReadOnlyList<Value> positional, int at)
    {
        if (positional.Count <= at) return item => item.IsTrue;
        var name = positional[at].ToString()!;
        if (!Tests.Exists(name)) throw new JinjaRenderException($"no test named '{name}'");
        var rest = new Arguments([.. positional.Skip(at + 1)], []);
        return item => Tests.Apply(name, item, rest);
    }

    // What sort, unique, min and max compare: the attribute if named, lower-cased unless case-sensitive.
    static Func<Value, Value> SortKey(Value? caseSensitive, Value? attribute)
    {
        var getter = attribute is null or NoneValue ? (item => item) : AttributeGetter(attribute);
        if (caseSensitive is { IsTrue: true }) return getter;
        return item => getter(item) is StringValue text ? new StringValue(text.Value.ToLowerInvariant()) : getter(item);
    }
}
