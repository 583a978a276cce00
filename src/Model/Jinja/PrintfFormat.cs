using System.Globalization;
using System.Text;

namespace Rex.Model.Jinja;

/// <summary>
/// Python's printf-style `format % values` (the `%` operator on strings and the `format` filter): %s %r %d %i %f %F
/// %x %X %o %c %% with flags (-, +, space, 0), width and precision, and %(name)s keys into a dict.
/// </summary>
internal static class PrintfFormat
{
    public static string Apply(string format, Value values)
    {
        IReadOnlyList<Value> positional = values is ListValue { Kind: SequenceKind.Tuple } tuple ? tuple.Items : [values];
        var mapping = values as DictValue;
        var next = 0;
        var text = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%')
            {
                text.Append(format[i]);
                continue;
            }
            if (++i == format.Length) throw new JinjaRenderException("incomplete format");
            Value? keyed = null;
            if (format[i] == '(')
            {
                var close = format.IndexOf(')', i);
                if (close < 0 || mapping is null) throw new JinjaRenderException("format requires a mapping");
                keyed = mapping.Entries.GetValueOrDefault(new StringValue(format[(i + 1)..close]))
                    ?? throw new JinjaRenderException($"KeyError: '{format[(i + 1)..close]}'");
                i = close + 1;
            }
            var start = i;
            while (i < format.Length && format[i] is '-' or '+' or ' ' or '0' or '#') i++;
            var flags = format[start..i];
            var width = Digits(format, ref i);
            int? precision = null;
            if (i < format.Length && format[i] == '.')
            {
                i++;
                precision = Digits(format, ref i) ?? 0;
            }
            if (i == format.Length) throw new JinjaRenderException("incomplete format");
            var conversion = format[i];
            if (conversion == '%')
            {
                text.Append('%');
                continue;
            }
            var value = keyed ?? (next < positional.Count ? positional[next++] : throw new JinjaRenderException("not enough arguments for format string"));
            text.Append(Pad(Convert(conversion, value, flags, precision), flags, width));
        }
        // Python checks that every argument was used only for a tuple or a single plain value; a list, a dict or
        // Undefined counts as a mapping there and is never "not converted".
        var isMapping = values is DictValue or UndefinedValue or ListValue { Kind: not SequenceKind.Tuple };
        if (!isMapping && next < positional.Count) throw new JinjaRenderException("not all arguments converted during string formatting");
        return text.ToString();
    }

    static int? Digits(string format, ref int i)
    {
        var start = i;
        while (i < format.Length && char.IsAsciiDigit(format[i])) i++;
        return i > start ? int.Parse(format.AsSpan(start, i - start), CultureInfo.InvariantCulture) : null;
    }

    static string Convert(char conversion, Value value, string flags, int? precision)
    {
        switch (conversion)
        {
            case 's':
                return precision is { } p ? new string(value.ToString()!.Take(p).ToArray()) : value.ToString()!;
            case 'r':
                return value.Repr();
            case 'c':
                return value is StringValue { Value.Length: 1 } c ? c.Value
                    : value.TryGetInteger(out var code) ? char.ConvertFromUtf32((int)code) : throw new JinjaRenderException("%c requires int or char");
        }
        if (!value.TryGetNumber(out var number) || value is UndefinedValue)
            throw new JinjaRenderException($"%{conversion} format: a real number is required, not {value.TypeName}");
        var sign = number < 0 || double.IsNegative(number) && number == 0 ? "-" : flags.Contains('+') ? "+" : flags.Contains(' ') ? " " : "";
        var magnitude = Math.Abs(number);
        var digits = conversion switch
        {
            'd' or 'i' or 'u' => Math.Truncate(magnitude).ToString("F0", CultureInfo.InvariantCulture),
            'f' or 'F' => magnitude.ToString("F" + (precision ?? 6), CultureInfo.InvariantCulture),
            'x' => ((long)magnitude).ToString("x", CultureInfo.InvariantCulture),
            'X' => ((long)magnitude).ToString("X", CultureInfo.InvariantCulture),
            'o' => System.Convert.ToString((long)magnitude, 8),
            _ => throw new JinjaRenderException($"unsupported format character '{conversion}'"),
        };
        return sign + digits;
    }

    static string Pad(string text, string flags, int? width)
    {
        if (width is not { } w || text.Length >= w) return text;
        if (flags.Contains('-')) return text.PadRight(w);
        if (!flags.Contains('0') || text.Length == 0 || !(char.IsAsciiDigit(text[^1]))) return text.PadLeft(w);
        var signed = text[0] is '-' or '+' or ' ';
        return signed ? text[0] + text[1..].PadLeft(w - 1, '0') : text.PadLeft(w, '0');
    }
}
