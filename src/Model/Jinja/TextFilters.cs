using System.Globalization;
using System.Numerics;
using System.Text;

namespace Rex.Model.Jinja;

/// <summary>The filters of single values: text, numbers, defaults and JSON.</summary>
internal static partial class Filters
{
    static Value Default(Value value, Arguments arguments)
    {
        var slots = arguments.Bind("default", "default_value", "boolean");
        var replace = value is UndefinedValue || slots[1] is { IsTrue: true } && !value.IsTrue;
        return replace ? slots[0] ?? StringValue.Empty : value;
    }

    static Value Trim(Value value, Arguments arguments)
    {
        var slots = arguments.Bind("trim", "chars");
        return new StringValue(PythonStrings.Strip(value.ToString()!, OptionalString(slots[0])));
    }

    // jinja2's title: upper-case the first letter after each run of spaces, hyphens and opening brackets.
    static Value Title(Value value, Arguments arguments)
    {
        arguments.Bind("title");
        var text = new StringBuilder();
        var startsWord = true;
        foreach (var c in value.ToString()!)
        {
            var isBoundary = PythonStrings.IsSpace(c) || c is '-' or '(' or '{' or '[' or '<';
            text.Append(isBoundary ? c : startsWord ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            startsWord = isBoundary;
        }
        return new StringValue(text.ToString());
    }

    static Value Replace(Value value, Arguments arguments)
    {
        var slots = arguments.Bind("replace", "old", "new", "count");
        var text = value.ToString()!;
        var old = slots[0]?.ToString() ?? throw new JinjaRenderException("replace: missing argument 'old'");
        var replacement = slots[1]?.ToString() ?? throw new JinjaRenderException("replace: missing argument 'new'");
        var count = slots[2] is null or NoneValue ? -1 : Integer(slots[2], "replace", "count", -1);
        return new StringValue(StringMethods.Replace(text, old, replacement, count));
    }

    static Value Indent(Value value, Arguments arguments)
    {
        var slots = arguments.Bind("indent", "width", "first", "blank");
        var indentation = slots[0] is StringValue custom ? custom.Value : new string(' ', (int)Integer(slots[0], "indent", "width", 4));
        // As jinja2: a newline is appended before splitting, so a trailing newline does not leave an indented blank line.
        var lines = PythonStrings.SplitLines(value + "\n");
        var blank = slots[2] is { IsTrue: true };
        var text = new StringBuilder(lines.Count > 0 ? lines[0] : "");
        foreach (var line in lines.Skip(1))
            text.Append('\n').Append(blank || line.Length > 0 ? indentation + line : line);
        return new StringValue((slots[1] is { IsTrue: true } ? indentation : "") + text);
    }

    static Value WordCount(Value value, Arguments arguments)
    {
        arguments.Bind("wordcount");
        var words = 0;
        var inWord = false;
        foreach (var c in value.ToString()!)
        {
            var isWordCharacter = char.IsLetterOrDigit(c) || c == '_';
            if (isWordCharacter && !inWord) words++;
            inWord = isWordCharacter;
        }
        return Value.From(words);
    }

    static Value Escape(Value value, Arguments arguments)
    {
        arguments.Bind("escape");
        return new StringValue(Markup.Escape(value), isMarkup: true);
    }

    static Value ForceEscape(Value value, Arguments arguments)
    {
        arguments.Bind("forceescape");
        return new StringValue(Markup.Escape(new StringValue(value.ToString()!)), isMarkup: true);
    }

    static Value Safe(Value value, Arguments arguments)
    {
        arguments.Bind("safe");
        return new StringValue(value.ToString()!, isMarkup: true);
    }

    static Value Format(Value value, Arguments arguments)
    {
        if (arguments.Positional.Count > 0 && arguments.Keywords.Count > 0)
            throw new JinjaRenderException("format: can't handle positional and keyword arguments at the same time");
        Value values = arguments.Keywords.Count > 0
            ? new DictValue(arguments.Keywords.Select(k => new KeyValuePair<Value, Value>(new StringValue(k.Key), k.Value)))
            : new ListValue(arguments.Positional, SequenceKind.Tuple);
        return new StringValue(PrintfFormat.Apply(value.ToString()!, values));
    }

    static Value ToJson(Value value, Arguments arguments)
    {
        var slots = arguments.Bind("tojson", "ensure_ascii", "indent", "separators", "sort_keys");
        return new StringValue(JsonDumps.Serialize(value, new JsonDumps.Options(
            EnsureAscii: slots[0] is { IsTrue: true }, Indent: slots[1] is null or NoneValue ? null : slots[1],
            Separators: slots[2] is null or NoneValue ? null : slots[2], SortKeys: slots[3] is { IsTrue: true })));
    }

    static Value ToInt(Value value, Arguments arguments)
    {
        var slots = arguments.Bind("int", "default", "base");
        Operators.FailIfUndefined(value);
        var fallback = slots[0] ?? Value.From(0);
        var radix = (int)Integer(slots[1], "int", "base", 10);
        return value switch
        {
            IntValue => value,
            BoolValue flag => Value.From(flag.Value ? 1 : 0),
            FloatValue number => Truncate(number.Value) ?? fallback,
            StringValue text => ParseInteger(text.Value, radix) is { } parsed ? Value.From(parsed)
                : ParseFloat(text.Value) is { } real ? Truncate(real) ?? fallback : fallback,
            _ => fallback,
        };
    }

    static Value ToFloat(Value value, Arguments arguments)
    {
        var slots = arguments.Bind("float", "default");
        Operators.FailIfUndefined(value);
        var fallback = slots[0] ?? new FloatValue(0);
        if (value is StringValue text) return ParseFloat(text.Value) is { } parsed ? new FloatValue(parsed) : fallback;
        return value.TryGetNumber(out var number) ? new FloatValue(number) : fallback;
    }

    static Value Abs(Value value, Arguments arguments)
    {
        arguments.Bind("abs");
        if (value.TryGetInteger(out var integer)) return integer == long.MinValue ? throw new JinjaRenderException("integer overflow") : Value.From(Math.Abs(integer));
        return value is FloatValue number ? new FloatValue(Math.Abs(number.Value))
            : throw new JinjaRenderException($"bad operand type for abs(): '{value.TypeName}'");
    }

    static Value Round(Value value, Arguments arguments)
    {
        var slots = arguments.Bind("round", "precision", "method");
        var digits = (int)Integer(slots[0], "round", "precision", 0);
        var method = slots[1]?.ToString() ?? "common";
        if (method is not ("common" or "ceil" or "floor")) throw new JinjaRenderException("round: method must be common, ceil or floor");
        if (value is not (IntValue or BoolValue or FloatValue) || !value.TryGetNumber(out var number))
            throw new JinjaRenderException($"round: type {value.TypeName} doesn't define __round__ method");
        // Python's round(int, n) stays an int; everything else is a float.
        if (method == "common" && value is not FloatValue && digits >= 0) return value is BoolValue ? Value.From((long)number) : value;
        var scale = Math.Pow(10, digits);
        return new FloatValue(method switch
        {
            "ceil" => Math.Ceiling(number * scale) / scale,
            "floor" => Math.Floor(number * scale) / scale,
            _ => PythonRound(number, digits),
        });
    }

    /// <summary>
    /// Python's round(x, digits): half to even on the double's exact binary value, so round(2.675, 2) is 2.67 (the
    /// double is 2.67499999...), where scaling by 100 first would give 2.68.
    /// </summary>
    static double PythonRound(double number, int digits)
    {
        if (!double.IsFinite(number) || digits > 300 || digits < -300) return number;
        var bits = BitConverter.DoubleToInt64Bits(number);
        var exponent = (int)((bits >> 52) & 0x7FF);
        var mantissa = new BigInteger(bits & 0xFFFFFFFFFFFFFL);
        if (exponent == 0) exponent++;
        else mantissa += BigInteger.One << 52;
        exponent -= 1075;
        // |number| * 10^digits as numerator / denominator, both integers.
        var numerator = mantissa * (digits >= 0 ? BigInteger.Pow(10, digits) : 1) * (exponent > 0 ? BigInteger.One << exponent : 1);
        var denominator = (digits < 0 ? BigInteger.Pow(10, -digits) : 1) * (exponent < 0 ? BigInteger.One << -exponent : 1);
        var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
        var twice = remainder * 2;
        if (twice > denominator || twice == denominator && !quotient.IsEven) quotient += 1;
        var text = quotient.ToString(CultureInfo.InvariantCulture) + "e" + (-digits).ToString(CultureInfo.InvariantCulture);
        var rounded = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        return number < 0 ? -rounded : rounded;
    }

    static Value Attr(Value value, Arguments arguments)
    {
        var slots = arguments.Bind("attr", "name");
        var name = slots[0]?.ToString() ?? throw new JinjaRenderException("attr: missing argument 'name'");
        return value.GetAttribute(name) ?? UndefinedValue.MissingAttribute(value, name);
    }

    static Value? Truncate(double number) =>
        double.IsFinite(number) && Math.Abs(number) < 9.2e18 ? Value.From((long)Math.Truncate(number)) : null;

    /// <summary>Python's int(text, base): surrounding whitespace, a sign, underscores between digits, a matching prefix.</summary>
    static long? ParseInteger(string text, int radix)
    {
        var digits = PythonStrings.Strip(text, null);
        var negative = digits.StartsWith('-');
        if (negative || digits.StartsWith('+')) digits = digits[1..];
        if (digits.Length > 2 && digits[0] == '0' && char.ToLowerInvariant(digits[1]) == (radix switch { 16 => 'x', 8 => 'o', 2 => 'b', _ => '\0' }))
            digits = digits[2..];
        if (digits.Length == 0 || digits.StartsWith('_') || digits.EndsWith('_') || digits.Contains("__")) return null;
        try
        {
            var magnitude = Convert.ToInt64(digits.Replace("_", ""), radix is 2 or 8 or 10 or 16 ? radix : throw new FormatException());
            return negative ? -magnitude : magnitude;
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            return null;
        }
    }

    static double? ParseFloat(string text)
    {
        var trimmed = PythonStrings.Strip(text, null).ToLowerInvariant();
        var sign = trimmed.StartsWith('-') ? -1 : 1;
        var unsigned = trimmed.TrimStart('+', '-');
        if (unsigned is "inf" or "infinity") return sign * double.PositiveInfinity;
        if (unsigned == "nan") return double.NaN;
        return unsigned.Length > 0 && char.IsAsciiDigit(unsigned[0]) || unsigned.StartsWith('.')
            ? double.TryParse(trimmed.Replace("_", ""), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : null
            : null;
    }
}
