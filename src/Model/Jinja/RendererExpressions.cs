namespace Rex.Model.Jinja;

/// <summary>Expression evaluation: lookups, attribute and item access as jinja2 does them, calls, filters and tests.</summary>
internal sealed partial class Renderer
{
    public Value Evaluate(Expression expression, Frame frame) => expression switch
    {
        Literal literal => literal.Value,
        Variable variable => frame.Lookup(variable.Name),
        ListLiteral list => new ListValue([.. list.Items.Select(item => Evaluate(item, frame))],
            list.IsTuple ? SequenceKind.Tuple : SequenceKind.List),
        DictLiteral dict => new DictValue(dict.Entries.Select(e => new KeyValuePair<Value, Value>(Evaluate(e.Key, frame), Evaluate(e.Value, frame)))),
        AttributeAccess access => Attribute(Evaluate(access.Target, frame), access.Name, access.Key),
        ItemAccess access => Item(Evaluate(access.Target, frame), Evaluate(access.Key, frame)),
        Slice slice => SliceOf(Evaluate(slice.Target, frame), SliceBound(slice.Start, frame), SliceBound(slice.Stop, frame), SliceBound(slice.Step, frame)),
        Call call => Invoke(Evaluate(call.Callee, frame), EvaluateArguments(call.Arguments, frame)),
        Filter filter => Filters.Apply(filter.Name, Evaluate(filter.Target!, frame), EvaluateArguments(filter.Arguments, frame)),
        Test test => Value.From(Tests.Apply(test.Name, Evaluate(test.Target, frame), EvaluateArguments(test.Arguments, frame)) != test.Negated),
        Unary { Operator: "not" } not => Value.From(!Evaluate(not.Operand, frame).IsTrue),
        Unary unary => Operators.Unary(unary.Operator, Evaluate(unary.Operand, frame)),
        Binary { Operator: "and" } and => Evaluate(and.Left, frame) is var left && left.IsTrue ? Evaluate(and.Right, frame) : left,
        Binary { Operator: "or" } or => Evaluate(or.Left, frame) is var left && left.IsTrue ? left : Evaluate(or.Right, frame),
        Binary binary => Operators.Binary(binary.Operator, Evaluate(binary.Left, frame), Evaluate(binary.Right, frame)),
        Comparison comparison => Compare(comparison, frame),
        Conditional conditional => Evaluate(conditional.Test, frame).IsTrue ? Evaluate(conditional.Then, frame)
            : conditional.Otherwise is { } otherwise ? Evaluate(otherwise, frame)
            : new UndefinedValue("the inline if-expression evaluated to false and no else section was defined"),
        _ => throw new InvalidOperationException($"no evaluation for {expression.GetType().Name}"),
    };

    public Arguments EvaluateArguments(CallArguments arguments, Frame frame)
    {
        if (ReferenceEquals(arguments, CallArguments.None)) return Arguments.None;
        var positional = arguments.Positional.Select(a => Evaluate(a, frame)).ToList();
        var keywords = arguments.Keywords.Select(k => new KeyValuePair<string, Value>(k.Key, Evaluate(k.Value, frame))).ToList();
        if (arguments.MorePositional is { } items)
        {
            var more = Evaluate(items, frame);
            positional.AddRange(more.Iterate() ?? throw new JinjaRenderException($"argument after * must be an iterable, not {more.TypeName}"));
        }
        if (arguments.MoreKeywords is { } mapping)
        {
            if (Evaluate(mapping, frame) is not DictValue dict) throw new JinjaRenderException("argument after ** must be a mapping");
            keywords.AddRange(dict.Entries.Select(e => e.Key is StringValue name
                ? new KeyValuePair<string, Value>(name.Value, e.Value)
                : throw new JinjaRenderException("keywords must be strings")));
        }
        return new Arguments(positional, keywords);
    }

    /// <summary>`owner.name`: the attribute (a method, a namespace member), else the item of that name, else Undefined.</summary>
    public static Value Attribute(Value owner, string name, StringValue key) =>
        owner is UndefinedValue ? owner : owner.GetAttribute(name) ?? owner.GetItem(key) ?? UndefinedValue.MissingAttribute(owner, name);

    /// <summary>`owner[key]`: the item, else for a string key the attribute of that name, else Undefined.</summary>
    public static Value Item(Value owner, Value key) =>
        owner is UndefinedValue ? owner
            : owner.GetItem(key) ?? (key is StringValue name ? owner.GetAttribute(name.Value) : null) ?? UndefinedValue.MissingItem(owner, key);

    static Value Invoke(Value callee, Arguments arguments) => callee switch
    {
        CallableValue function => function.Call(arguments),
        UndefinedValue undefined => throw new JinjaRenderException(undefined.Hint),
        _ => throw new JinjaRenderException($"'{callee.TypeName}' object is not callable"),
    };

    Value Compare(Comparison comparison, Frame frame)
    {
        var left = Evaluate(comparison.First, frame);
        foreach (var (op, operand) in comparison.Rest)
        {
            var right = Evaluate(operand, frame);
            if (!Operators.Compare(op, left, right)) return BoolValue.False;
            left = right;
        }
        return BoolValue.True;
    }

    long? SliceBound(Expression? bound, Frame frame)
    {
        if (bound is null) return null;
        var value = Evaluate(bound, frame);
        if (value is NoneValue or UndefinedValue) return null;
        return value.TryGetInteger(out var index) ? index : throw new JinjaRenderException("slice indices must be integers or None");
    }

    static Value SliceOf(Value owner, long? start, long? stop, long? step) => owner switch
    {
        StringValue text => new StringValue(string.Concat(Slices.Take(CodePoints.Split(text.Value), start, stop, step))),
        ListValue { Kind: not SequenceKind.Generator } list => new ListValue(Slices.Take(list.Items, start, stop, step), list.Kind),
        UndefinedValue => owner,
        _ => new UndefinedValue($"'{owner.TypeName}' object is not subscriptable"),
    };
}
