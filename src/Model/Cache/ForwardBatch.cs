using static TorchSharp.torch;

namespace Rex.Model.Cache;

/// <summary>One sequence's part of a step: its cache and how many new tokens (rows) it brings.</summary>
public sealed record BatchSegment(ISequenceKv Cache, int NumNewTokens);

/// <summary>
/// The layout of one forward step: the rows of all sequences laid end to end (`[rows, d_model]` tensors),
/// each sequence's rows continuing from its cache's length. Prefill chunks and decode rows mix freely.
/// </summary>
public sealed class ForwardBatch : IDisposable
{
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
    }

    public IReadOnlyList<BatchSegment> Segments { get; }

    /// <summary>The first row of each segment.</summary>
    public IReadOnlyList<int> RowStarts { get; }

    public int NumRows { get; }

    /// <summary>The position of every row in its sequence: [rows] int64.</summary>
    public Tensor Positions { get; }

    /// <summary>The last row of each segment: where the next token of each sequence is predicted.</summary>
    public long[] LastRows() => Segments.Select((s, i) => (long)(RowStarts[i] + s.NumNewTokens - 1)).ToArray();

    /// <summary>After every layer has appended its rows: advance each sequence's cache.</summary>
    public void Commit()
    {
        foreach (var segment in Segments) segment.Cache.Commit(segment.NumNewTokens);
    }

    public void Dispose() => Positions.Dispose();
}
