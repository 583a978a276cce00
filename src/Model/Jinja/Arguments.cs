namespace Rex.Model.Jinja;

/// <summary>The arguments of a call, positional then keyword, bound to parameters as Python binds them.</summary>
internal sealed class Arguments(IReadOnlyList<Value> positional, IReadOnlyList<KeyValuePair<string, Value>> keywords)
{
    public static readonly Arguments None = new([], []);

    public IReadOnlyList<Value> Positional => positional;
    public IReadOnlyList<KeyValuePair<string, Value>> Keywords => keywords;

    /// <summary>
    /// One slot per parameter name, filled from the positional arguments in order and the keywords by name; null where
    /// the call gave nothing. Too many arguments, unknown keywords and a parameter given twice fail as Python fails.
    /// </summary>
    public Value?[] Bind(string function, params string[] parameters)
    {
        if (positional.Count > parameters.Length)
            throw new JinjaRenderException(
                $"{function}() takes at most {parameters.Length} argument(s) ({positional.Count} given)");
        var slots = new Value?[parameters.Length];
        for (var i = 0; i < positional.Count; i++) slots[i] = positional[i];
        foreach (var (name, value) in keywords)
        {
            var at = Array.IndexOf(parameters, name);
            if (at < 0) throw new JinjaRenderException($"{function}() got an unexpected keyword argument '{name}'");
            if (slots[at] is not null) throw new JinjaRenderException($"{function}() got multiple values for argument '{name}'");
            slots[at] = value;
        }
        return slots;
    }

    /// <summary>The positional arguments of a function that takes any number of them and no keywords.</summary>
    public IReadOnlyList<Value> OnlyPositional(string function)
    {
        if (keywords.Count > 0)
            throw new JinjaRenderException($"{function}() got an unexpected keyword argument '{keywords[0].Key}'");
        return positional;
    }
}
