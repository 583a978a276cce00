using System.Text;

namespace Rex.Model.Jinja;

/// <summary>
/// Runs a parsed template: statements write to the output, expressions are evaluated in the current
/// <see cref="Frame"/>. One per render, so a parsed template can render on many threads at once.
/// </summary>
internal sealed partial class Renderer(SourceMap map)
{
    // jinja2 runs out of Python's recursion limit between 150 and 200 nested macro calls; stopping at 150 keeps a
    // runaway recursion (a template recursing over a user's nested tool schema) from overflowing this thread's stack.
    const int MaxMacroDepth = 150;

    int macroDepth;

    /// <summary>How a body ended: normally, or at a `break` or `continue` for the enclosing loop to act on.</summary>
    enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    public void Render(IReadOnlyList<Statement> body, Frame frame, StringBuilder output) => Execute(body, frame, output);

    Flow Execute(IReadOnlyList<Statement> body, Frame frame, StringBuilder output)
    {
        foreach (var statement in body)
        {
            Flow flow;
            try
            {
                flow = Execute(statement, frame, output);
            }
            catch (JinjaRenderException e) when (e.Line == 0)
            {
                var (line, column) = map.Locate(statement.Offset);
                throw e.At(line, column);
            }
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    Flow Execute(Statement statement, Frame frame, StringBuilder output)
    {
        switch (statement)
        {
            case Text text:
                output.Append(text.Value);
                break;
            case Print print:
                output.Append(Evaluate(print.Value, frame).ToString());
                break;
            case If branches:
                var taken = branches.Branches.FirstOrDefault(b => Evaluate(b.Test, frame).IsTrue);
                return Execute(taken?.Body ?? branches.Otherwise, frame, output);
            case For loop:
                return ExecuteFor(loop, frame, output);
            case Set set:
                Assign(set.Target, Evaluate(set.Value, frame), frame);
                break;
            case SetBlock block:
                Assign(block.Target, Filtered(block.Filters, RenderToString(block.Body, frame.Child()), frame), frame);
                break;
            case Macro macro:
                frame.Set(macro.Name, new MacroValue(macro.Name, macro.Parameters, macro.Body, frame, this));
                break;
            case CallBlock call:
                output.Append(CallWithCaller(call, frame).ToString());
                break;
            case FilterBlock filter:
                output.Append(Filtered(filter.Filters, RenderToString(filter.Body, frame.Child()), frame).ToString());
                break;
            case With with:
                var scope = frame.Child();
                // As in jinja2, the values are computed in the enclosing scope, then assigned in the new one.
                foreach (var (target, value) in with.Assignments) Assign(target, Evaluate(value, frame), scope);
                return Execute(with.Body, scope, output);
            case Group group:
                return Execute(group.Body, frame, output);
            case Break:
                return Flow.Break;
            case Continue:
                return Flow.Continue;
        }
        return Flow.Normal;
    }

    Flow ExecuteFor(For loop, Frame frame, StringBuilder output)
    {
        var source = Evaluate(loop.Items, frame);
        var items = source.Iterate() ?? throw new JinjaRenderException($"'{source.TypeName}' object is not iterable");
        if (loop.Condition is not null) items = [.. items.Where(item => Evaluate(loop.Condition, Iteration(loop.Target, item, frame)).IsTrue)];
        if (items.Count == 0) return Execute(loop.Otherwise, frame, output);
        for (var i = 0; i < items.Count; i++)
        {
            var iteration = Iteration(loop.Target, items[i], frame);
            iteration.Set("loop", new LoopValue(items, i));
            if (Execute(loop.Body, iteration, output) == Flow.Break) break;
        }
        return Flow.Normal;
    }

    /// <summary>The frame of one iteration: a child of the loop's frame with the loop target assigned.</summary>
    static Frame Iteration(AssignTarget target, Value item, Frame frame)
    {
        var child = frame.Child();
        Assign(target, item, child);
        return child;
    }

    static void Assign(AssignTarget target, Value value, Frame frame)
    {
        switch (target)
        {
            case NameTarget name:
                frame.Set(name.Name, value);
                break;
            case TupleTarget tuple:
                var items = value.Iterate() ?? throw new JinjaRenderException($"cannot unpack non-iterable {value.TypeName} object");
                if (items.Count != tuple.Items.Count)
                    throw new JinjaRenderException(items.Count < tuple.Items.Count
                        ? $"not enough values to unpack (expected {tuple.Items.Count}, got {items.Count})"
                        : $"too many values to unpack (expected {tuple.Items.Count})");
                for (var i = 0; i < items.Count; i++) Assign(tuple.Items[i], items[i], frame);
                break;
            case NamespaceTarget member:
                if (frame.Lookup(member.Namespace) is not NamespaceValue ns)
                    throw new JinjaRenderException($"cannot assign attribute '{member.Attribute}' of '{member.Namespace}': not a namespace");
                ns.Set(member.Attribute, value);
                break;
        }
    }

    string RenderToString(IReadOnlyList<Statement> body, Frame frame)
    {
        var output = new StringBuilder();
        Execute(body, frame, output);
        return output.ToString();
    }

    /// <summary>The rendered text of a `set` or `filter` block, through its filters (none: the text itself).</summary>
    Value Filtered(Filter? filters, string rendered, Frame frame) =>
        filters is null ? new StringValue(rendered) : Evaluate(WithInput(filters, new Literal(new StringValue(rendered))), frame);

    // A block's filter chain is parsed without a value to filter; the innermost filter gets the rendered text.
    static Filter WithInput(Filter filter, Expression input) =>
        filter with { Target = filter.Target is Filter inner ? WithInput(inner, input) : input };

    /// <summary>Runs a macro body for a call and returns what it rendered.</summary>
    public Value RunMacro(MacroValue macro, Arguments arguments)
    {
        if (macroDepth == MaxMacroDepth) throw new JinjaRenderException($"maximum recursion depth exceeded calling macro '{macro.Name}'");
        macroDepth++;
        try
        {
            return new StringValue(RenderToString(macro.Body, Bind(macro, arguments)));
        }
        finally
        {
            macroDepth--;
        }
    }

    /// <summary>A macro call's frame: a child of the frame the macro was defined in, its parameters bound.</summary>
    Frame Bind(MacroValue macro, Arguments arguments)
    {
        var frame = macro.Closure.Child();
        var positional = arguments.Positional;
        var keywords = arguments.Keywords.ToDictionary(k => k.Key, k => k.Value);
        for (var i = 0; i < macro.Parameters.Count; i++)
        {
            var parameter = macro.Parameters[i];
            var value = i < positional.Count ? positional[i]
                : keywords.Remove(parameter.Name, out var given) ? given
                : parameter.Default is { } fallback ? Evaluate(fallback, frame)
                : new UndefinedValue($"parameter '{parameter.Name}' was not provided");
            frame.Set(parameter.Name, value);
        }
        if (keywords.Remove("caller", out var caller)) frame.Set("caller", caller);
        frame.Set("varargs", new ListValue([.. positional.Skip(macro.Parameters.Count)], SequenceKind.Tuple));
        frame.Set("kwargs", new DictValue(keywords.Select(k => new KeyValuePair<Value, Value>(new StringValue(k.Key), k.Value))));
        return frame;
    }

    Value CallWithCaller(CallBlock block, Frame frame)
    {
        var callee = Evaluate(block.Call.Callee, frame);
        if (callee is not MacroValue macro) throw new JinjaRenderException("a call block must call a macro");
        var caller = new MacroValue("caller", block.CallerParameters, block.Body, frame, this);
        var arguments = EvaluateArguments(block.Call.Arguments, frame);
        return macro.Call(new Arguments(arguments.Positional, [.. arguments.Keywords, new("caller", caller)]));
    }
}
