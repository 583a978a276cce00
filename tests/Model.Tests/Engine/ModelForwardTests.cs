using Rex.Model.Cache;
using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Tests;
using static TorchSharp.torch;

namespace Rex.Model.Tests.Engine;

/// <summary>
/// The KV-cached forward against full recomputation: token-at-a-time decoding, chunked prefill and batches
/// that mix sequences of different lengths and states must give the logits a fresh full pass gives.
/// </summary>
public sealed class ModelForwardTests(FixtureModel fixture) : IClassFixture<FixtureModel>
{
    const double Tolerance = 1e-4;
    static readonly int[] Prompt = [791, 4062, 14198, 39935, 35308, 927, 279, 16053, 18964, 4689, 13, 578];

    LocalModel Model => fixture.Model;

    // Runs one step over the given segments and returns logits for all their rows: [rows, vocab] on the CPU.
    float[][] Step(params (KvCache Cache, int[] Tokens)[] segments)
    {
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        using var batch = new ForwardBatch(segments.Select(s => new BatchSegment(s.Cache, s.Tokens.Length)).ToArray(), CPU);
        var ids = tensor(segments.SelectMany(s => s.Tokens).Select(t => (long)t).ToArray(), ScalarType.Int64);
        var logits = Model.Backbone.Logits(Model.Forward(ids, batch));
        return Enumerable.Range(0, (int)logits.shape[0]).Select(r => logits[r].data<float>().ToArray()).ToArray();
    }

    float[][] Full(int[] tokens)
    {
        using var cache = Model.Backbone.NewCache(tokens.Length);
        return Step((cache, tokens));
    }

    static void AssertClose(float[] expected, float[] actual, string what)
    {
        var worst = expected.Select((e, i) => Math.Abs(e - actual[i])).Max();
        Assert.True(worst <= Tolerance, $"{what}: max |difference| {worst}");
    }

    [Fact]
    public void DecodingOneTokenAtATimeEqualsFullRecomputation()
    {
        var full = Full(Prompt);
        using var cache = Model.Backbone.NewCache(Prompt.Length);
        Step((cache, Prompt[..3]));
        for (var t = 3; t < Prompt.Length; t++)
            AssertClose(full[t], Step((cache, [Prompt[t]]))[0], $"position {t}");
        Assert.Equal(Prompt.Length, cache.Length);
    }

    [Fact]
    public void ChunkedPrefillEqualsOnePass()
    {
        var full = Full(Prompt);
        using var cache = Model.Backbone.NewCache(Prompt.Length);
        var first = Step((cache, Prompt[..5]));
        var second = Step((cache, Prompt[5..]));
        var chunked = first.Concat(second).ToArray();
        for (var t = 0; t < Prompt.Length; t++) AssertClose(full[t], chunked[t], $"position {t}");
    }

    [Fact]
    public void AMixedBatchEqualsEachSequenceAlone()
    {
        int[] a = Prompt, b = [100257, 15339], c = [9906, 11, 1917, 0, 220, 17, 10];
        using var cacheA = Model.Backbone.NewCache(a.Length);
        using var cacheB = Model.Backbone.NewCache(b.Length);
        using var cacheC = Model.Backbone.NewCache(c.Length);
        Step((cacheA, a[..4]), (cacheC, c[..6]));
        // One batch: a continues with a chunk, b starts its prefill, c decodes one token.
        var rows = Step((cacheA, a[4..]), (cacheB, b), (cacheC, c[6..]));
        var (fullA, fullB, fullC) = (Full(a), Full(b), Full(c));
        for (var t = 4; t < a.Length; t++) AssertClose(fullA[t], rows[t - 4], $"a position {t}");
        for (var t = 0; t < b.Length; t++) AssertClose(fullB[t], rows[a.Length - 4 + t], $"b position {t}");
        AssertClose(fullC[6], rows[^1], "c position 6");
    }

    [Fact]
    public void ExpertHostsWithDisjointExpertsSumToTheFullMixture()
    {
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        using var directory = ModelDirectory.Open(TestPaths.DbrxTiny);
        var reader = new Rex.Model.Checkpoint.WeightReader(directory.Weights, directory.Config, ComputePlacement.Cpu);
        using var all = reader.ExpertLayer(0, Enumerable.Range(0, 16));
        using var even = reader.ExpertLayer(0, Enumerable.Range(0, 16).Where(e => e % 2 == 0));
        using var odd = reader.ExpertLayer(0, Enumerable.Range(0, 16).Where(e => e % 2 == 1));
        var x = randn(6, 64, generator: manual_seed(3));
        var chosen = tensor(new long[] { 0, 1, 2, 3, 4, 5, 6, 7, 15, 14, 13, 12, 1, 3, 5, 7, 2, 4, 6, 8, 9, 10, 11, 0 }).view(6, 4);
        var weights = rand(6, 4, generator: manual_seed(4));
        var sum = even.Forward(x, chosen, weights) + odd.Forward(x, chosen, weights);
        Assert.True(allclose(all.Forward(x, chosen, weights), sum, rtol: 1e-5, atol: 1e-6));
        Assert.False(allclose(all.Forward(x, chosen, weights), even.Forward(x, chosen, weights)));
    }
}

/// <summary>The fixture model, loaded once per test class.</summary>
public sealed class FixtureModel : IDisposable
{
    public LocalModel Model { get; } = LoadModel();

    static LocalModel LoadModel()
    {
        using var directory = ModelDirectory.Open(TestPaths.DbrxTiny);
        return LocalModel.Load(directory, ComputePlacement.Cpu);
    }

    public void Dispose() => Model.Dispose();
}
