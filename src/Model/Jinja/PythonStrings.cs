using System.Text;

namespace Rex.Model.Jinja;

/// <summary>Python's str algorithms that .NET words differently: what counts as whitespace, strip, split, splitlines, title.</summary>
internal static class PythonStrings
{
    /// <summary>str.isspace for one character: .NET's whitespace plus the information separators \x1c-\x1f.</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    public static string Strip(string text, string? chars, bool start = true, bool end = true)
    {
        Func<char, bool> strips = chars is null ? IsSpace : chars.Contains;
        var from = 0;
        var to = text.Length;
        if (start) while (from < to && strips(text[from])) from++;
        if (end) while (to > from && strips(text[to - 1])) to--;
        return text[from..to];
    }

    /// <summary>str.split: on runs of whitespace (ends dropped) without a separator, else on each separator.</summary>
    public static List<string> Split(string text, string? separator, long maxSplit)
    {
        if (separator is not null)
        {
            if (separator.Length == 0) throw new JinjaRenderException("empty separator");
            return [.. maxSplit < 0 ? text.Split(separator) : text.Split(separator, (int)Math.Min(maxSplit + 1, int.MaxValue))];
        }
        var parts = new List<string>();
        var i = 0;
        while (true)
        {
            while (i < text.Length && IsSpace(text[i])) i++;
            if (i == text.Length) return parts;
            if (maxSplit >= 0 && parts.Count == maxSplit)
            {
                parts.Add(text[i..]);
                return parts;
            }
            var start = i;
            while (i < text.Length && !IsSpace(text[i])) i++;
            parts.Add(text[start..i]);
        }
    }

    /// <summary>str.rsplit: as <see cref="Split"/>, but maxSplit counts from the right.</summary>
    public static List<string> RightSplit(string text, string? separator, long maxSplit)
    {
        if (maxSplit < 0) return Split(text, separator, maxSplit);
        var reversed = Split(Reverse(text), separator is null ? null : Reverse(separator), maxSplit);
        reversed.Reverse();
        return [.. reversed.Select(Reverse)];
    }

    /// <summary>str.splitlines: every line boundary Python knows, the ends dropped unless kept.</summary>
    public static List<string> SplitLines(string text, bool keepEnds = false)
    {
        var lines = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] is not ('\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029')) continue;
            var end = i;
            if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
            lines.Add(text[start..(keepEnds ? i + 1 : end)]);
            start = i + 1;
        }
        if (start < text.Length) lines.Add(text[start..]);
        return lines;
    }

    /// <summary>str.title: a letter after an uncased character starts a word and is upper-cased, the others lower-cased.</summary>
    public static string Title(string text)
    {
        var title = new StringBuilder(text.Length);
        var previousCased = false;
        foreach (var c in text)
        {
            title.Append(previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousCased = char.IsUpper(c) || char.IsLower(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.TitlecaseLetter;
        }
        return title.ToString();
    }

    /// <summary>str.capitalize: the first character upper-cased, the rest lower-cased.</summary>
    public static string Capitalize(string text) =>
        text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..].ToLowerInvariant();

    public static string Reverse(string text) => string.Concat(CodePoints.Split(text).Reverse());
}
