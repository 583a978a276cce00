namespace Rex.Model.Jinja;

/// <summary>Turns offsets into the 1-based line and column that errors report.</summary>
internal sealed class SourceMap
{
    readonly List<int> lineStarts = [0];

    public SourceMap(string source)
    {
        for (var i = 0; i < source.Length; i++)
            if (source[i] == '\n') lineStarts.Add(i + 1);
    }

    public (int Line, int Column) Locate(int offset)
    {
        var index = lineStarts.BinarySearch(offset);
        var line = index >= 0 ? index : ~index - 1;
        return (line + 1, offset - lineStarts[line] + 1);
    }

    public JinjaParseException Error(int offset, string reason)
    {
        var (line, column) = Locate(offset);
        return new JinjaParseException(reason, line, column);
    }
}
