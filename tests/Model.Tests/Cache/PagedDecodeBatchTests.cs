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

    // Blocks out of order and interleaved between the sequences, so a slot mix-up shows.
    static readonly Prompt A = new("a", [5, 0, 9, 2], [791, 4062, 14198, 39935, 35308, 927, 279, 16053, 18964, 4689, 13, 578]);
    static readonly Prompt B = new("b", [3], [100257, 15339, 11]);
    static readonly Prompt C = new("c", [7, 1], [9906, 11, 1917, 0, 220, 17, 10]);
    static readonly Prompt D = new("d", [4], [100257, 15339]);

    LocalModel Model => fixture.Model;

    sealed record Prompt(string Name, int[] Table, int[] Tokens)
    {
        public Work AllButLast => new(Table, 0, Tokens[..^1]);

        public Work Last => new(Table, Tokens.Length - 1, Tokens[^1..]);

        public Work Whole => new(Table, 0, Tokens);
    }

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

    // Prefills each prompt but its last token on its own, then decodes every last token in one step.
    (float[][] Logits, int[] Groups) DecodeTogether(PagedKvPool pool, params Prompt[] prompts)
    {
        foreach (var prompt in prompts) Step(pool, prompt.AllButLast);
        return Step(pool, [.. prompts.Select(p => p.Last)]);
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
        new(Model.Config.NumLayers, Model.Config.Attention.NumKvHeads, Model.Config.Attention.HeadDim, 10, BlockSize, ScalarType.Float32, CPU);

    void AssertRecomputed(Prompt prompt, float[] actual) => AssertClose(FullLast(prompt.Tokens), actual, prompt.Name);

    static void AssertClose(float[] expected, float[] actual, string what)
    {
        var worst = expected.Select((e, i) => Math.Abs(e - actual[i])).Max();
        Assert.True(worst <= Tolerance, $"{what}: max |difference| {worst}");
    }

    [Fact]
    public void ADecodeStepOfSequencesOfSimilarLengthsEqualsEachRecomputed()
    {
        using var pool = NewPool();
        var (rows, groups) = DecodeTogether(pool, A, C);
        Assert.Equal([2], groups);
        AssertRecomputed(A, rows[0]);
        AssertRecomputed(C, rows[1]);
    }

    [Fact]
    public void SequencesOfVeryDifferentLengthsAreGroupedSoPaddingAtMostDoubles()
    {
        using var pool = NewPool();
        // Lengths 12, 3, 7, 2: a and c in one group, b and d in another.
        var (rows, groups) = DecodeTogether(pool, A, B, C, D);
        Assert.Equal([2, 2], groups);
        AssertRecomputed(A, rows[0]);
        AssertRecomputed(B, rows[1]);
        AssertRecomputed(C, rows[2]);
        AssertRecomputed(D, rows[3]);
    }

    [Fact]
    public void ASequenceTooShortForAnyGroupIsAttendedOnItsOwnBesideAGroup()
    {
        using var pool = NewPool();
        var (rows, groups) = DecodeTogether(pool, A, B, C);
        Assert.Equal([2], groups);
        AssertRecomputed(A, rows[0]);
        AssertRecomputed(B, rows[1]);
        AssertRecomputed(C, rows[2]);
    }

    [Fact]
    public void DecodeRowsBesidePrefillRowsKeepTheirPlaces()
    {
        using var pool = NewPool();
        Step(pool, A.AllButLast);
        Step(pool, C.AllButLast);
        // a decodes, b prefills all of its prompt, c decodes: the batched rows are the first and the last.
        var (rows, groups) = Step(pool, A.Last, B.Whole, C.Last);
        Assert.Equal([2], groups);
        AssertRecomputed(A, rows[0]);
        for (var t = 0; t < B.Tokens.Length; t++) AssertClose(FullLast(B.Tokens[..(t + 1)]), rows[1 + t], $"b position {t}");
        AssertRecomputed(C, rows[^1]);
    }

    [Fact]
    public void ALoneDecodeRowIsAttendedOnItsOwn()
    {
        using var pool = NewPool();
        Step(pool, A.AllButLast);
        var (rows, groups) = Step(pool, A.Last, B.Whole);
        Assert.Empty(groups);
        AssertRecomputed(A, rows[0]);
    }
}
