using System.Globalization;
using System.Text;

namespace Rex.Model.Jinja;

/// <summary>
/// Python's str.format: {} {0} {name} fields with .attribute and [key] lookups, !r/!s conversions, {{ and }}, and the
/// common format specs ([[fill]align][0][width][.precision][s|d|f]).
/// </summary>
internal static class StrFormat
{
    public static string Apply(string format, Arguments arguments)
    {
        var text = new StringBuilder();
        var auto = 0;
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c is '{' or '}' && i + 1 < format.Length && format[i + 1] == c)
            {
                text.Append(c);
                i++;
                continue;
            }
            if (c == '}') throw new JinjaRenderException("Single '}' encountered in format string");
            if (c != '{')
            {
                text.Append(c);
                continue;
            }
            var close = format.IndexOf('}', i);
            if (close < 0) throw new JinjaRenderException("Single '{' encountered in format string");
            var field = format[(i + 1)..close];
            i = close;
            var specAt = field.IndexOf(':');
            var spec = specAt < 0 ? "" : field[(specAt + 1)..];
            var reference = specAt < 0 ? field : field[..specAt];
            var conversion = reference.Length > 1 && reference[^2] == '!' ? reference[^1] : '\0';
            if (conversion != '\0') reference = reference[..^2];
            var value = Resolve(reference, arguments, ref auto);
            var converted = conversion switch
            {
                'r' or 'a' => new StringValue(value.Repr()),
                's' => new StringValue(value.ToString()!),
                _ => value,
            };
            text.Append(FormatSpec(converted, spec));
        }
        return text.ToString();
    }

    static Value Resolve(string reference, Arguments arguments, ref int auto)
    {
        var end = reference.IndexOfAny(['.', '[']);
        var head = end < 0 ? reference : reference[..end];
        Value value;
        if (head.Length == 0) value = Positional(arguments, auto++);
        else if (int.TryParse(head, NumberStyles.None, CultureInfo.InvariantCulture, out var index)) value = Positional(arguments, index);
        else value = arguments.Keywords.FirstOrDefault(k => k.Key == head).Value ?? throw new JinjaRenderException($"KeyError: '{head}'");
        for (var i = end; i >= 0 && i < reference.Length;)
        {
            if (reference[i] == '.')
            {
                var stop = reference.IndexOfAny(['.', '['], i + 1);
                var name = stop < 0 ? reference[(i + 1)..] : reference[(i + 1)..stop];
                value = Renderer.Attribute(value, name, new StringValue(name));
                i = stop < 0 ? reference.Length : stop;
            }
            else
            {
                var close = reference.IndexOf(']', i);
                if (close < 0) throw new JinjaRenderException("Missing ']' in format string");
                var key = reference[(i + 1)..close];
                value = Renderer.Item(value, int.TryParse(key, out var k) ? Value.From(k) : new StringValue(key));
                i = close + 1;
            }
        }
        return value;
    }

    static Value Positional(Arguments arguments, int index) =>
        index < arguments.Positional.Count
            ? arguments.Positional[index]
            : throw new JinjaRenderException($"Replacement index {index} out of range for positional args tuple");

    static string FormatSpec(Value value, string spec)
    {
        if (spec.Length == 0) return value.ToString()!;
        var i = 0;
        var fill = ' ';
        var align = '\0';
        if (spec.Length > 1 && spec[1] is '<' or '>' or '^')
        {
            fill = spec[0];
            align = spec[1];
            i = 2;
        }
        else if (spec[0] is '<' or '>' or '^')
        {
            align = spec[0];
            i = 1;
        }
        if (i < spec.Length && spec[i] == '0' && align == '\0')
        {
            fill = '0';
            align = '=';
            i++;
        }
        var widthStart = i;
        while (i < spec.Length && char.IsAsciiDigit(spec[i])) i++;
        var width = i > widthStart ? int.Parse(spec[widthStart..i], CultureInfo.InvariantCulture) : 0;
        int? precision = null;
        if (i < spec.Length && spec[i] == '.')
        {
            var start = ++i;
            while (i < spec.Length && char.IsAsciiDigit(spec[i])) i++;
            precision = int.Parse(spec[start..i], CultureInfo.InvariantCulture);
        }
        var type = i < spec.Length ? spec[i++] : '\0';
        if (i != spec.Length) throw new JinjaRenderException($"format spec '{spec}' is not supported");
        var text = type switch
        {
            'f' or 'F' when value.TryGetNumber(out var number) => number.ToString("F" + (precision ?? 6), CultureInfo.InvariantCulture),
            'd' when value.TryGetInteger(out var integer) => integer.ToString(CultureInfo.InvariantCulture),
            's' or '\0' when value is StringValue || type == '\0' =>
                precision is { } p ? string.Concat(CodePoints.Split(value.ToString()!).Take(p)) : value.ToString()!,
            _ => throw new JinjaRenderException($"Unknown format code '{type}' for object of type '{value.TypeName}'"),
        };
        if (text.Length >= width) return text;
        // Numbers align right by default, everything else left; '=' puts zero padding after the sign.
        align = align == '\0' ? value is StringValue ? '<' : '>' : align;
        return align switch
        {
            '<' => text.PadRight(width, fill),
            '^' => text.PadLeft(text.Length + (width - text.Length) / 2, fill).PadRight(width, fill),
            '=' when text.StartsWith('-') => "-" + text[1..].PadLeft(width - 1, fill),
            _ => text.PadLeft(width, fill),
        };
    }
}
