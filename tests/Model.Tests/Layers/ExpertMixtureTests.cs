using Rex.Model.Config;
using Rex.Model.Layers;
using Rex.Model.Tensors;
using static TorchSharp.torch;

namespace Rex.Model.Tests.Layers;

public class ExpertMixtureTests
{
    const int DModel = 8, Ffn = 5;

    static (ExpertGlu Glu, Tensor W1, Tensor V1, Tensor W2) Expert(int seed)
    {
        var generator = manual_seed(seed);
        var (w1, v1, w2) = (randn(Ffn, DModel, generator: generator), randn(Ffn, DModel, generator: generator), randn(DModel, Ffn, generator: generator));
        return (new ExpertGlu(ExpertActivation.Silu, w1, v1, w2), w1, v1, w2);
    }

    // The expert written out for one row: (silu(x gate^T) * (x up^T)) down^T.
    static Tensor Reference(Tensor x, Tensor w1, Tensor v1, Tensor w2) => (nn.functional.silu(x.matmul(w1.t())) * x.matmul(v1.t())).matmul(w2.t());

    [Fact]
    public void EachRowGetsTheWeightedSumOfItsExpertsAndUnservedRowsStayZero()
    {
        using var scope = NewDisposeScope();
        var experts = new[] { Expert(1), Expert(2), Expert(3) };
        var hidden = randn(5, DModel, generator: manual_seed(9));
        // Pairs grouped by expert: expert 0 serves rows 0, 3; expert 1 none; expert 2 rows 3, 1, 0. Row 2 and 4: none.
        var rows = new long[] { 0, 3, 3, 1, 0 };
        var weights = new[] { 0.5f, 0.25f, 0.75f, 1f, 0.125f };
        var owner = new[] { 0, 0, 2, 2, 2 };

        var sum = ExpertMixture.WeightedSum(hidden, [(experts[0].Glu, 2), (experts[1].Glu, 0), (experts[2].Glu, 3)], tensor(rows), tensor(weights));

        var expected = zeros(5, DModel);
        for (var pair = 0; pair < rows.Length; pair++)
        {
            var (_, w1, v1, w2) = experts[owner[pair]];
            expected[rows[pair]] += weights[pair] * Reference(hidden[rows[pair]].unsqueeze(0), w1, v1, w2).squeeze(0);
        }
        Assert.Equal(ScalarType.Float32, sum.dtype);
        Assert.True(allclose(sum, expected, rtol: 1e-5, atol: 1e-5));
        Assert.Equal(0, sum[2].abs().sum().item<float>());
        Assert.Equal(0, sum[4].abs().sum().item<float>());
    }

    [Fact]
    public void ExpertsSharedOutAmongThreadsGiveTheSumOfOneThreadBitForBit()
    {
        // At a width the CPU kernel takes and enough work to share (9 rows x 3 x 512 x 64 multiply-adds), four experts
        // of uneven loads, in inference mode as the engines run: with two kernel threads each takes two experts; with
        // one, one thread takes all four.
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var generator = manual_seed(11);
        var experts = Enumerable.Range(0, 4)
            .Select(_ => new ExpertGlu(ExpertActivation.Silu, randn(512, 64, generator: generator), randn(512, 64, generator: generator),
                randn(64, 512, generator: generator)))
            .ToArray();
        (ExpertGlu, int)[] work = [(experts[0], 5), (experts[1], 1), (experts[2], 0), (experts[3], 3)];
        var rows = tensor(new long[] { 0, 1, 2, 3, 4, 2, 0, 1, 4 });
        var weights = rand(9, generator: generator);
        var hidden = randn(5, 64, generator: generator);
        TorchThreads.Configure(1);
        var one = ExpertMixture.WeightedSum(hidden, work, rows, weights);
        TorchThreads.Configure(2);
        var two = ExpertMixture.WeightedSum(hidden, work, rows, weights);
        Assert.Equal(2, TorchThreads.KernelThreads);
        Assert.True(one.eq(two).all().item<bool>());
        foreach (var expert in experts) expert.Dispose();
    }

    [Fact]
    public void NoPairsGiveZeros()
    {
        using var scope = NewDisposeScope();
        var sum = ExpertMixture.WeightedSum(randn(3, DModel), [(Expert(1).Glu, 0)], zeros(0, ScalarType.Int64), zeros(0));
        Assert.Equal([3L, DModel], sum.shape);
        Assert.Equal(0, sum.abs().sum().item<float>());
    }

    [Fact]
    public void PairCountsThatDisagreeWithTheRowsAreRejected()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() =>
            ExpertMixture.WeightedSum(randn(3, DModel), [(Expert(1).Glu, 2)], tensor(new long[] { 0, 1, 2 }), tensor(new[] { 1f, 1f, 1f })));
        Assert.Contains("2 pairs", error.Message);
    }

    [Fact]
    public void AnExpertOverwritesWhateverItsOutputHeld()
    {
        using var scope = NewDisposeScope();
        var (glu, w1, v1, w2) = Expert(4);
        var x = randn(2, DModel, generator: manual_seed(5));
        var output = full(2, DModel, float.NaN);
        glu.ForwardInto(x, output);
        Assert.True(allclose(output, Reference(x, w1, v1, w2), rtol: 1e-5, atol: 1e-5));
    }
}
