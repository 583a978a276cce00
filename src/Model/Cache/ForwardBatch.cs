using static TorchSharp.torch;

namespace Rex.Model.Cache;

/// <summary>One sequence's part of a step: its cache and how many new tokens (rows) it brings.</summary>
public sealed record BatchSegment(ISequenceKv Cache, int NumNewTokens);

/// <summary>
/// The layout of one forward step: the rows of all sequences laid end to end (`[rows, d_model]` tensors),
/// each sequence's rows continuing from its cache's length. Prefill chunks and decode rows mix freely; decode rows
/// over a paged cache are attended together in groups of similar length (<see cref="Decode"/>).
/// </summary>
public sealed class ForwardBatch : IDisposable
{
    readonly bool[] inDecode;

    public ForwardBatch(IReadOnlyList<BatchSegment> segments, Device device)
    {
        Segments = segments;
        var rowStarts = new int[segments.Count];
        var positions = new List<long>();
        for (var i = 0; i < segments.Count; i++)
        {
            rowStarts[i] = positions.Count;
            var start = segments[i].Cache.Length;
            for (var t = 0; t < segments[i].NumNewTokens; t++) positions.Add(start + t);
        }
        RowStarts = rowStarts;
        NumRows = positions.Count;
        Positions = tensor(positions.ToArray(), ScalarType.Int64, device);

        inDecode = new bool[segments.Count];
        var groups = GroupDecodeRows(segments);
        foreach (var group in groups)
            foreach (var i in group) inDecode[i] = true;
        Decode = [.. groups.Select(g => new PagedDecodeBatch([.. g.Select(i => (PagedSequenceKv)segments[i].Cache)], [.. g.Select(i => rowStarts[i])]))];
        var others = Enumerable.Range(0, segments.Count).Where(i => !inDecode[i]).ToArray();
        if (Decode.Count > 0 && others.Length > 0)
            OtherRows = tensor(others.SelectMany(i => Enumerable.Range(rowStarts[i], segments[i].NumNewTokens)).Select(r => (long)r).ToArray(),
                ScalarType.Int64, device);
    }

    // The decode segments (one new token, paged cache) in groups whose members are all at least half as long as the
    // group's longest, so padding at most doubles a group's gather (one long sequence among many short ones would
    // otherwise pad them all to its length); members in row order. A segment left alone in its group is attended
    // on its own: batching one row gains nothing.
    static int[][] GroupDecodeRows(IReadOnlyList<BatchSegment> segments)
    {
        var decode = Enumerable.Range(0, segments.Count)
            .Where(i => segments[i] is { NumNewTokens: 1, Cache: PagedSequenceKv })
            .Select(i => (Segment: i, Length: segments[i].Cache.Length + 1))
            .OrderByDescending(d => d.Length)
            .ToArray();
        var groups = new List<int[]>();
        for (var first = 0; first < decode.Length;)
        {
            var end = first;
            while (end < decode.Length && 2 * decode[end].Length >= decode[first].Length) end++;
            if (end - first > 1) groups.Add([.. decode[first..end].Select(d => d.Segment).Order()]);
            first = end;
        }
        return [.. groups];
    }

    public IReadOnlyList<BatchSegment> Segments { get; }

    /// <summary>The first row of each segment.</summary>
    public IReadOnlyList<int> RowStarts { get; }

    public int NumRows { get; }

    /// <summary>The position of every row in its sequence: [rows] int64.</summary>
    public Tensor Positions { get; }

    /// <summary>The step's decode rows over a paged cache, attended a group at a time.</summary>
    public IReadOnlyList<PagedDecodeBatch> Decode { get; }

    /// <summary>[rows - decode rows] int64: the rows attended one sequence at a time, in order, when there are decode
    /// groups beside them.</summary>
    public Tensor? OtherRows { get; }

    /// <summary>Whether one decode group holds every row of the step (a step with no prefill in it, and sequences of
    /// similar length).</summary>
    public bool DecodeIsWholeBatch => Decode is [var only] && only.Count == NumRows;

    /// <summary>Whether a segment is attended as part of a decode group rather than on its own.</summary>
    public bool InDecode(int segment) => inDecode[segment];

    /// <summary>The last row of each segment: where the next token of each sequence is predicted.</summary>
    public long[] LastRows() => Segments.Select((s, i) => (long)(RowStarts[i] + s.NumNewTokens - 1)).ToArray();

    /// <summary>After every layer has appended its rows: advance each sequence's cache.</summary>
    public void Commit()
    {
        foreach (var segment in Segments) segment.Cache.Commit(segment.NumNewTokens);
    }

    public void Dispose()
    {
        Positions.Dispose();
        foreach (var group in Decode) group.Dispose();
        OtherRows?.Dispose();
    }
}
