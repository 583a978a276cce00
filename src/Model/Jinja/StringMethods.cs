using System.Text;

namespace Rex.Model.Jinja;

/// <summary>Python's str methods that templates call ('a'.upper(), content.split('&lt;/think&gt;'), role.startswith(...)).</summary>
internal static class StringMethods
{
    static readonly Dictionary<string, Func<string, Arguments, Value>> All = new(StringComparer.Ordinal)
    {
        ["strip"] = (s, a) => Strip(s, a, "strip", start: true, end: true),
        ["lstrip"] = (s, a) => Strip(s, a, "lstrip", start: true, end: false),
        ["rstrip"] = (s, a) => Strip(s, a, "rstrip", start: false, end: true),
        ["split"] = (s, a) => Split(s, a, "split", PythonStrings.Split),
        ["rsplit"] = (s, a) => Split(s, a, "rsplit", PythonStrings.RightSplit),
        ["splitlines"] = (s, a) => Strings(PythonStrings.SplitLines(s, a.Bind("splitlines", "keepends")[0] is { IsTrue: true })),
        ["startswith"] = (s, a) => Affix(s, a, "startswith", (text, affix) => text.StartsWith(affix, StringComparison.Ordinal)),
        ["endswith"] = (s, a) => Affix(s, a, "endswith", (text, affix) => text.EndsWith(affix, StringComparison.Ordinal)),
        ["upper"] = (s, a) => Plain(a, "upper", s.ToUpperInvariant()),
        ["lower"] = (s, a) => Plain(a, "lower", s.ToLowerInvariant()),
        ["title"] = (s, a) => Plain(a, "title", PythonStrings.Title(s)),
        ["capitalize"] = (s, a) => Plain(a, "capitalize", PythonStrings.Capitalize(s)),
        ["replace"] = ReplaceMethod,
        ["find"] = (s, a) => Value.From(Find(s, a, "find", last: false)),
        ["rfind"] = (s, a) => Value.From(Find(s, a, "rfind", last: true)),
        ["index"] = (s, a) => Found(Find(s, a, "index", last: false)),
        ["rindex"] = (s, a) => Found(Find(s, a, "rindex", last: true)),
        ["count"] = Count,
        ["join"] = Join,
        ["format"] = (s, a) => new StringValue(StrFormat.Apply(s, a)),
        ["isalpha"] = (s, a) => Plain(a, "isalpha", s.Length > 0 && s.All(char.IsLetter)),
        ["isalnum"] = (s, a) => Plain(a, "isalnum", s.Length > 0 && s.All(char.IsLetterOrDigit)),
        ["isdigit"] = (s, a) => Plain(a, "isdigit", s.Length > 0 && s.All(char.IsDigit)),
        ["isnumeric"] = (s, a) => Plain(a, "isnumeric", s.Length > 0 && s.All(char.IsNumber)),
        ["isspace"] = (s, a) => Plain(a, "isspace", s.Length > 0 && s.All(PythonStrings.IsSpace)),
        ["islower"] = (s, a) => Plain(a, "islower", IsLower(s)),
        ["isupper"] = (s, a) => Plain(a, "isupper", IsUpper(s)),
        ["removeprefix"] = (s, a) => Affixed(s, a, "removeprefix", (text, affix) => text.StartsWith(affix, StringComparison.Ordinal) ? text[affix.Length..] : text),
        ["removesuffix"] = (s, a) => Affixed(s, a, "removesuffix", (text, affix) => text.EndsWith(affix, StringComparison.Ordinal) ? text[..^affix.Length] : text),
    };

    /// <summary>The method `name` bound to the string, or null when str has no such method here.</summary>
    public static Value? Bind(StringValue text, string name) =>
        All.TryGetValue(name, out var method) ? new BuiltinFunction($"str.{name}", arguments => method(text.Value, arguments)) : null;

    /// <summary>str.islower: it has cased characters and none of them is upper case.</summary>
    public static bool IsLower(string text) => text.Any(char.IsLower) && !text.Any(c => char.IsUpper(c) || IsTitleCase(c));

    public static bool IsUpper(string text) => text.Any(char.IsUpper) && !text.Any(c => char.IsLower(c) || IsTitleCase(c));

    static bool IsTitleCase(char c) => char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.TitlecaseLetter;

    /// <summary>str.replace: a negative count replaces every occurrence; an empty `old` inserts before each character and at the end.</summary>
    public static string Replace(string text, string old, string replacement, long count)
    {
        if (count < 0) count = long.MaxValue;
        var result = new StringBuilder();
        if (old.Length == 0)
        {
            var characters = CodePoints.Split(text);
            for (var i = 0; i <= characters.Length; i++)
            {
                if (i < count) result.Append(replacement);
                if (i < characters.Length) result.Append(characters[i]);
            }
            return result.ToString();
        }
        var position = 0;
        for (var done = 0L; done < count; done++)
        {
            var at = text.IndexOf(old, position, StringComparison.Ordinal);
            if (at < 0) break;
            result.Append(text, position, at - position).Append(replacement);
            position = at + old.Length;
        }
        return result.Append(text, position, text.Length - position).ToString();
    }

    static Value Plain(Arguments arguments, string name, string result)
    {
        arguments.Bind(name);
        return new StringValue(result);
    }

    static Value Plain(Arguments arguments, string name, bool result)
    {
        arguments.Bind(name);
        return Value.From(result);
    }

    static Value Strings(IEnumerable<string> parts) => new ListValue([.. parts.Select(p => new StringValue(p))]);

    static Value Strip(string text, Arguments arguments, string name, bool start, bool end) =>
        new StringValue(PythonStrings.Strip(text, Chars(arguments.Bind(name, "chars")[0], name), start, end));

    static Value Split(string text, Arguments arguments, string name, Func<string, string?, long, List<string>> split)
    {
        var slots = arguments.Bind(name, "sep", "maxsplit");
        var maxSplit = slots[1] is null ? -1 : slots[1]!.TryGetInteger(out var m) ? m : throw new JinjaRenderException($"{name}: maxsplit must be an integer");
        return Strings(split(text, Chars(slots[0], name), maxSplit));
    }

    static Value ReplaceMethod(string text, Arguments arguments)
    {
        var slots = arguments.Bind("replace", "old", "new", "count");
        if (slots[0] is not StringValue old || slots[1] is not StringValue replacement)
            throw new JinjaRenderException("replace() arguments must be str");
        var count = slots[2] is null ? -1 : slots[2]!.TryGetInteger(out var c) ? c : throw new JinjaRenderException("replace: count must be an integer");
        return new StringValue(Replace(text, old.Value, replacement.Value, count));
    }

    // startswith/endswith take a string or a tuple of strings, and optional start and end positions.
    static Value Affix(string text, Arguments arguments, string name, Func<string, string, bool> test)
    {
        var slots = arguments.Bind(name, "prefix", "start", "end");
        var window = Window(text, slots[1], slots[2]);
        return slots[0] switch
        {
            StringValue affix => Value.From(test(window, affix.Value)),
            ListValue { Kind: SequenceKind.Tuple } choices when choices.Items.All(i => i is StringValue) =>
                Value.From(choices.Items.Any(choice => test(window, ((StringValue)choice).Value))),
            _ => throw new JinjaRenderException($"{name} first arg must be str or a tuple of str"),
        };
    }

    static Value Affixed(string text, Arguments arguments, string name, Func<string, string, string> transform) =>
        arguments.Bind(name, "affix")[0] is StringValue affix
            ? new StringValue(transform(text, affix.Value))
            : throw new JinjaRenderException($"{name}() argument must be str");

    static long Find(string text, Arguments arguments, string name, bool last)
    {
        var slots = arguments.Bind(name, "sub", "start", "end");
        if (slots[0] is not StringValue sub) throw new JinjaRenderException($"{name}() argument must be str");
        var window = Window(text, slots[1], slots[2]);
        var at = last ? window.LastIndexOf(sub.Value, StringComparison.Ordinal) : window.IndexOf(sub.Value, StringComparison.Ordinal);
        return at < 0 ? -1 : Start(text, slots[1]) + CodePoints.Count(window[..at]);
    }

    static Value Found(long index) => index >= 0 ? Value.From(index) : throw new JinjaRenderException("substring not found");

    static Value Count(string text, Arguments arguments)
    {
        var slots = arguments.Bind("count", "sub", "start", "end");
        if (slots[0] is not StringValue sub) throw new JinjaRenderException("count() argument must be str");
        var window = Window(text, slots[1], slots[2]);
        if (sub.Value.Length == 0) return Value.From(CodePoints.Count(window) + 1);
        var count = 0;
        for (var at = window.IndexOf(sub.Value, StringComparison.Ordinal); at >= 0; at = window.IndexOf(sub.Value, at + sub.Value.Length, StringComparison.Ordinal)) count++;
        return Value.From(count);
    }

    static Value Join(string separator, Arguments arguments)
    {
        var items = arguments.Bind("join", "iterable")[0]?.Iterate() ?? throw new JinjaRenderException("can only join an iterable");
        var parts = items.Select((item, i) => item is StringValue part ? part.Value
            : throw new JinjaRenderException($"sequence item {i}: expected str instance, {item.TypeName} found"));
        return new StringValue(string.Join(separator, parts));
    }

    static string? Chars(Value? value, string name) => value switch
    {
        null or NoneValue => null,
        StringValue chars => chars.Value,
        _ => throw new JinjaRenderException($"{name} arg must be None or str"),
    };

    // text[start:end] by code points, for the optional bounds of find, count, startswith.
    static string Window(string text, Value? start, Value? end) =>
        start is null && end is null ? text : string.Concat(Slices.Take(CodePoints.Split(text), Bound(start), Bound(end), null));

    static long Start(string text, Value? start)
    {
        if (Bound(start) is not { } from) return 0;
        var count = CodePoints.Count(text);
        return from < 0 ? Math.Max(0, from + count) : Math.Min(from, count);
    }

    static long? Bound(Value? value) =>
        value is null or NoneValue ? null : value.TryGetInteger(out var i) ? i : throw new JinjaRenderException("slice indices must be integers or None");
}
