using static TorchSharp.torch;

namespace Rex.Model.Cache;

/// <summary>One sequence's part of a step: its cache and how many new tokens (rows) it brings.</summary>
public sealed record BatchSegment(ISequenceKv Cache, int NumNewTokens);

/// <summary>
/// The layout of one forward step: the rows of all sequences laid end to end (`[rows, d_model]` tensors),
/// each sequence's rows continuing from its cache's length. Prefill chunks and decode rows mix freely; two or more
/// decode rows over a paged cache are attended together (<see cref="Decode"/>).
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

        inDecode = segments.Select(s => s is { NumNewTokens: 1, Cache: PagedSequenceKv }).ToArray();
        var decode = Enumerable.Range(0, segments.Count).Where(i => inDecode[i]).ToArray();
        if (decode.Length < 2)
        {
            // One row alone gains nothing from batching, and keeps the unpadded path the reference engine takes.
            Array.Clear(inDecode);
            return;
        }
        Decode = new PagedDecodeBatch(decode.Select(i => (PagedSequenceKv)segments[i].Cache).ToArray());
        DecodeRows = tensor(decode.Select(i => (long)rowStarts[i]).ToArray(), ScalarType.Int64, device);
        DecodeIsWholeBatch = decode.Length == NumRows;
        if (!DecodeIsWholeBatch)
            OtherRows = tensor(Enumerable.Range(0, segments.Count).Where(i => !inDecode[i])
                .SelectMany(i => Enumerable.Range(rowStarts[i], segments[i].NumNewTokens)).Select(r => (long)r).ToArray(), ScalarType.Int64, device);
    }

    public IReadOnlyList<BatchSegment> Segments { get; }

    /// <summary>The first row of each segment.</summary>
    public IReadOnlyList<int> RowStarts { get; }

    public int NumRows { get; }

    /// <summary>The position of every row in its sequence: [rows] int64.</summary>
    public Tensor Positions { get; }

    /// <summary>The step's decode rows over a paged cache, when there are two or more: attended as one batch.</summary>
    public PagedDecodeBatch? Decode { get; }

    /// <summary>[decode rows] int64: the rows of <see cref="Decode"/>'s sequences, in its order.</summary>
    public Tensor? DecodeRows { get; }

    /// <summary>[rows - decode rows] int64: the rows attended one sequence at a time, in order, when there are any
    /// beside <see cref="Decode"/>'s.</summary>
    public Tensor? OtherRows { get; }

    /// <summary>Whether <see cref="Decode"/> holds every row of the step (a step with no prefill in it).</summary>
    public bool DecodeIsWholeBatch { get; }

    /// <summary>Whether a segment is attended as part of <see cref="Decode"/> rather than on its own.</summary>
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
        Decode?.Dispose();
        DecodeRows?.Dispose();
        OtherRows?.Dispose();
    }
}
