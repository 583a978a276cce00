using System.Globalization;
using System.Text;

namespace Rex.Model.Jinja;

/// <summary>How Python writes floats and string literals (repr), which templates print through str() of numbers and containers.</summary>
internal static class PythonText
{
    /// <summary>
    /// Python's float repr: the shortest digits that read back to the same double, positional between 1e-4 and 1e16
    /// ("0.0001", "1000000000000000.0"), scientific outside ("1e-05", "1e+16"), always with a point or an exponent.
    /// </summary>
    public static string Float(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";
        var shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var e = shortest.IndexOf('E');
        var mantissa = e < 0 ? shortest : shortest[..e];
        var exponent = e < 0 ? 0 : int.Parse(shortest[(e + 1)..], CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.');
        var digits = mantissa.Replace(".", "");
        var leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits.Trim('0');
        // The power of ten of the first significant digit.
        var magnitude = (point < 0 ? mantissa.Length : point) - leadingZeros - 1 + exponent;
        var text = magnitude is >= -4 and < 16 ? Positional(digits, magnitude) : Scientific(digits, magnitude);
        return value < 0 ? "-" + text : text;
    }

    static string Positional(string digits, int magnitude)
    {
        if (magnitude < 0) return "0." + new string('0', -magnitude - 1) + digits;
        var whole = digits.PadRight(magnitude + 1, '0')[..(magnitude + 1)];
        return whole + "." + (digits.Length > magnitude + 1 ? digits[(magnitude + 1)..] : "0");
    }

    static string Scientific(string digits, int magnitude) =>
        digits[..1] + (digits.Length > 1 ? "." + digits[1..] : "") + "e" + (magnitude < 0 ? "-" : "+")
        + Math.Abs(magnitude).ToString("00", CultureInfo.InvariantCulture);

    /// <summary>Python's repr of a str: single quotes unless only double quotes avoid escaping, unprintables escaped.</summary>
    public static string Repr(string value)
    {
        var quote = value.Contains('\'') && !value.Contains('"') ? '"' : '\'';
        var text = new StringBuilder(value.Length + 2).Append(quote);
        for (var i = 0; i < value.Length; i++)
        {
            // A lone surrogate, which no Rune can hold, is unprintable: Python writes it as \udXXX.
            if (!Rune.TryGetRuneAt(value, i, out var rune))
            {
                text.Append(CultureInfo.InvariantCulture, $"\\u{(int)value[i]:x4}");
                continue;
            }
            i += rune.Utf16SequenceLength - 1;
            var c = rune.Value;
            if (c == quote || c == '\\') text.Append('\\').Append((char)c);
            else if (c == '\n') text.Append("\\n");
            else if (c == '\r') text.Append("\\r");
            else if (c == '\t') text.Append("\\t");
            else if (IsPrintable(rune)) text.Append(rune.ToString());
            else if (c < 0x100) text.Append(CultureInfo.InvariantCulture, $"\\x{c:x2}");
            else if (c < 0x10000) text.Append(CultureInfo.InvariantCulture, $"\\u{c:x4}");
            else text.Append(CultureInfo.InvariantCulture, $"\\U{c:x8}");
        }
        return text.Append(quote).ToString();
    }

    // Python's str.isprintable: not a control, format, surrogate, private-use, unassigned or separator character, but space is.
    static bool IsPrintable(Rune rune) => rune.Value == ' ' || Rune.GetUnicodeCategory(rune) is not (
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
        or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
        or UnicodeCategory.SpaceSeparator);
}
