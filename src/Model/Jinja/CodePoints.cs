namespace Rex.Model.Jinja;

/// <summary>
/// Python strings count, index and slice code points, .NET strings UTF-16 units; the two differ only where a string
/// holds surrogate pairs (emoji, rare CJK), and only then is a string split into its code points.
/// </summary>
internal static class CodePoints
{
    public static bool HasPairs(string text) => text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;

    public static int Count(string text) => HasPairs(text) ? Split(text).Length : text.Length;

    /// <summary>Each code point as a string of its own (a lone surrogate stays one unit, as Python keeps it).</summary>
    public static string[] Split(string text)
    {
        var parts = new List<string>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var width = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            parts.Add(text.Substring(i, width));
            i += width - 1;
        }
        return [.. parts];
    }
}
