using System.Globalization;

namespace Rex.Model.Jinja;

/// <summary>The `loop` variable of a `for` iteration: index, index0, revindex, first, last, length, previtem, cycle...</summary>
internal sealed class LoopValue(IReadOnlyList<Value> items, int index) : Value
{
    public override string TypeName => "LoopContext";
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"<LoopContext {index + 1}/{items.Count}>");

    public override Value? GetAttribute(string name) => name switch
    {
        "index" => Value.From(index + 1),
        "index0" => Value.From(index),
        "revindex" => Value.From(items.Count - index),
        "revindex0" => Value.From(items.Count - index - 1),
        "first" => Value.From(index == 0),
        "last" => Value.From(index == items.Count - 1),
        "length" => Value.From(items.Count),
        // Recursive loops are not supported, so every loop is at depth 1.
        "depth" => Value.From(1),
        "depth0" => Value.From(0),
        "previtem" => index > 0 ? items[index - 1] : new UndefinedValue("there is no previous item"),
        "nextitem" => index < items.Count - 1 ? items[index + 1] : new UndefinedValue("there is no next item"),
        "cycle" => new BuiltinFunction("loop.cycle", Cycle),
        _ => null,
    };

    Value Cycle(Arguments arguments)
    {
        var choices = arguments.OnlyPositional("loop.cycle");
        if (choices.Count == 0) throw new JinjaRenderException("no items for cycling given");
        return choices[index % choices.Count];
    }
}
