namespace Rex.Model.Jinja;

/// <summary>Python's indexing and slicing rules: negative positions count from the end, slices clamp instead of failing.</summary>
internal static class Slices
{
    /// <summary>The position a (possibly negative) index names, or null when it is out of range.</summary>
    public static int? Index(long index, int count)
    {
        var position = index < 0 ? index + count : index;
        return position >= 0 && position < count ? (int)position : null;
    }

    public static List<T> Take<T>(IReadOnlyList<T> items, long? start, long? stop, long? step)
    {
        var stride = step ?? 1;
        if (stride == 0) throw new JinjaRenderException("slice step cannot be zero");
        long count = items.Count;
        var (lower, upper) = stride > 0 ? (0L, count) : (-1L, count - 1);
        var from = start is { } s ? Clamp(s, count, lower, upper) : stride > 0 ? lower : upper;
        var to = stop is { } e ? Clamp(e, count, lower, upper) : stride > 0 ? upper : lower;
        var taken = new List<T>();
        for (var i = from; stride > 0 ? i < to : i > to; i += stride) taken.Add(items[(int)i]);
        return taken;
    }

    // CPython's PySlice_AdjustIndices: negative bounds count from the end, then clamp into [lower, upper].
    static long Clamp(long bound, long count, long lower, long upper)
    {
        if (bound < 0) bound += count;
        return Math.Clamp(bound, lower, upper);
    }
}
