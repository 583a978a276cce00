using Rex.Model.Cache;
using Rex.Model.Engine;
using Rex.Model.Tests.Engine;
using static TorchSharp.torch;

namespace Rex.Model.Tests.Cache;

/// <summary>
/// Decode rows over the paged cache, attended as one padded batch, against full recomputation of each sequence:
/// sequences of different lengths in scattered blocks, alone in a step and beside prefill rows.
/// </summary>
public sealed class PagedDecodeBatchTests(FixtureModel fixture) : IClassFixture<FixtureModel>
{
    const double Tolerance = 1e-4;
    const int BlockSize = 4;
    static readonly int[] A = [791, 4062, 14198, 39935, 35308, 927, 279, 16053, 18964, 4689, 13, 578];
    static readonly int[] B = [100257, 15339, 11];
    static readonly int[] C = [9906, 11, 1917, 0, 220, 17, 10];
    static readonly int[] D = [100257, 15339];

    // Blocks out of order and interleaved between the sequences, so a slot mix-up shows.
    static readonly int[] TableA = [5, 0, 9, 2];
    static readonly int[] TableB = [3];
    static readonly int[] TableC = [7, 1];
    static readonly int[] TableD = [4];

    DbrxModel Model => fixture.Model;

    sealed record Work(int[] Table, int NumComputed, int[] Tokens);

    // One step over the given sequences: logits for all their rows ([rows][vocab]), and the sizes of the decode groups.
    (float[][] Logits, int[] Groups) Step(PagedKvPool pool, params Work[] work)
    {
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var views = work.Select(w => pool.View(w.Table, w.NumComputed, w.Tokens.Length)).ToArray();
        try
        {
            using var batch = new ForwardBatch(work.Select((w, i) => new BatchSegment(views[i], w.Tokens.Length)).ToArray(), CPU);
            var ids = tensor(work.SelectMany(w => w.Tokens).Select(t => (long)t).ToArray(), ScalarType.Int64);
            var logits = Model.Backbone.Logits(Model.Forward(ids, batch));
            return (Enumerable.Range(0, (int)logits.shape[0]).Select(r => logits[r].data<float>().ToArray()).ToArray(), batch.Decode.Select(g => g.Count).ToArray());
        }
        finally
        {
            foreach (var view in views) view.Dispose();
        }
    }

    float[] FullLast(int[] tokens)
    {
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        using var cache = Model.Backbone.NewCache(tokens.Length);
        using var batch = new ForwardBatch([new BatchSegment(cache, tokens.Length)], CPU);
        var logits = Model.Backbone.Logits(Model.Forward(tensor(tokens.Select(t => (long)t).ToArray(), ScalarType.Int64), batch));
        return logits[^1].data<float>().ToArray();
    }

    PagedKvPool NewPool() =>
        new(Model.Config.NumLayers, Model.Config.NumKvHeads, Model.Config.HeadDim, 10, BlockSize, ScalarType.Float32, CPU);

    static void AssertClose(float[] expected, float[] actual, string what)
    {
        var worst = expected.Select((e, i) => Math.Abs(e - actual[i])).Max();
        Assert.True(worst <= Tolerance, $"{what}: max |difference| {worst}");
    }

    [Fact]
    public void ADecodeStepOfSequencesOfSimilarLengthsEqualsEachRecomputed()
    {
        using var pool = NewPool();
        Step(pool, new Work(TableA, 0, A[..^1]));
        Step(pool, new Work(TableC, 0, C[..^1]));
        var (rows, groups) = Step(pool, new Work(TableA, A.Length - 1, A[^1..]), new Work(TableC, C.Length - 1, C[^1..]));
        Assert.Equal([2], groups);
        AssertClose(FullLast(A), rows[0], "a");
        AssertClose(FullLast(C), rows[1], "c");
    }

    [Fact]
    public void SequencesOfVeryDifferentLengthsAreGroupedSoPaddingAtMostDoubles()
    {
        using var pool = NewPool();
        Step(pool, new Work(TableA, 0, A[..^1]));
        Step(pool, new Work(TableB, 0, B[..^1]));
        Step(pool, new Work(TableC, 0, C[..^1]));
        Step(pool, new Work(TableD, 0, D[..^1]));
        // Lengths 12, 3, 7, 2: a and c in one group, b and d in another.
        var (rows, groups) = Step(pool, new Work(TableA, A.Length - 1, A[^1..]), new Work(TableB, B.Length - 1, B[^1..]),
            new Work(TableC, C.Length - 1, C[^1..]), new Work(TableD, D.Length - 1, D[^1..]));
        Assert.Equal([2, 2], groups);
        AssertClose(FullLast(A), rows[0], "a");
        AssertClose(FullLast(B), rows[1], "b");
        AssertClose(FullLast(C), rows[2], "c");
        AssertClose(FullLast(D), rows[3], "d");
    }

    [Fact]
    public void ASequenceTooShortForAnyGroupIsAttendedOnItsOwnBesideAGroup()
    {
        using var pool = NewPool();
        Step(pool, new Work(TableA, 0, A[..^1]));
        Step(pool, new Work(TableB, 0, B[..^1]));
        Step(pool, new Work(TableC, 0, C[..^1]));
        var (rows, groups) = Step(pool, new Work(TableA, A.Length - 1, A[^1..]), new Work(TableB, B.Length - 1, B[^1..]),
            new Work(TableC, C.Length - 1, C[^1..]));
        Assert.Equal([2], groups);
        AssertClose(FullLast(A), rows[0], "a");
        AssertClose(FullLast(B), rows[1], "b");
        AssertClose(FullLast(C), rows[2], "c");
    }

    [Fact]
    public void DecodeRowsBesidePrefillRowsKeepTheirPlaces()
    {
        using var pool = NewPool();
        Step(pool, new Work(TableA, 0, A[..^1]));
        Step(pool, new Work(TableC, 0, C[..^1]));
        // a decodes, b prefills all of its prompt, c decodes: the batched rows are the first and the last.
        var (rows, groups) = Step(pool, new Work(TableA, A.Length - 1, A[^1..]), new Work(TableB, 0, B), new Work(TableC, C.Length - 1, C[^1..]));
        Assert.Equal([2], groups);
        AssertClose(FullLast(A), rows[0], "a");
        for (var t = 0; t < B.Length; t++) AssertClose(FullLast(B[..(t + 1)]), rows[1 + t], $"b position {t}");
        AssertClose(FullLast(C), rows[^1], "c");
    }

    [Fact]
    public void ALoneDecodeRowIsAttendedOnItsOwn()
    {
        using var pool = NewPool();
        Step(pool, new Work(TableA, 0, A[..^1]));
        var (rows, groups) = Step(pool, new Work(TableA, A.Length - 1, A[^1..]), new Work(TableB, 0, B));
        Assert.Empty(groups);
        AssertClose(FullLast(A), rows[0], "a");
    }
}
