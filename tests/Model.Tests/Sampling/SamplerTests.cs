using Rex.Model.Sampling;
using static TorchSharp.torch;

namespace Rex.Model.Tests.Sampling;

public sealed class SamplerTests
{
    static readonly double[] Probabilities = [0.5, 0.3, 0.15, 0.05];

    // Draws `n` tokens for one row of logits log(Probabilities) (plus a zero-probability tail) with one random stream.
    static int[] Draw(SamplingParams p, int n, long seed = 1)
    {
        using var scope = NewDisposeScope();
        var logits = tensor(Probabilities.Select(p => Math.Log(p)).Concat([-1e9, -1e9]).Select(v => (float)v).ToArray()).unsqueeze(0);
        var random = new SequenceRandom(seed);
        return Enumerable.Range(0, n).Select(_ => Sampler.Sample(logits, [p], [random])[0]).ToArray();
    }

    static double Frequency(int[] draws, int id) => draws.Count(d => d == id) / (double)draws.Length;

    [Fact]
    public void GreedyRowsTakeTheArgmax() => Assert.All(Draw(new SamplingParams(), 20), id => Assert.Equal(0, id));

    [Fact]
    public void TemperatureOneSamplesTheModelsDistribution()
    {
        var draws = Draw(new SamplingParams { Temperature = 1 }, 4000);
        for (var id = 0; id < Probabilities.Length; id++)
            Assert.InRange(Frequency(draws, id), Probabilities[id] - 0.03, Probabilities[id] + 0.03);
        Assert.DoesNotContain(4, draws);
    }

    [Fact]
    public void HighTemperatureFlattensTheDistribution()
    {
        var draws = Draw(new SamplingParams { Temperature = 50 }, 4000);
        // Scaled by 1/50 the four real candidates are nearly equal (the -1e9 tail stays impossible).
        Assert.InRange(Frequency(draws, 3), 0.2, 0.3);
        Assert.DoesNotContain(5, draws);
    }

    [Fact]
    public void TopKKeepsOnlyTheKMostLikely()
    {
        var draws = Draw(new SamplingParams { Temperature = 1, TopK = 2 }, 1000);
        Assert.All(draws, id => Assert.InRange(id, 0, 1));
        Assert.InRange(Frequency(draws, 0), 0.5 / 0.8 - 0.05, 0.5 / 0.8 + 0.05);
    }

    [Theory]
    [InlineData(0.7, 2)]
    [InlineData(0.5, 1)]
    [InlineData(0.81, 3)]
    public void TopPKeepsTheSmallestPrefixReachingP(double topP, int kept)
    {
        var draws = Draw(new SamplingParams { Temperature = 1, TopP = topP }, 2000);
        Assert.Equal(Enumerable.Range(0, kept), draws.Distinct().Order());
    }

    [Fact]
    public void TheSameSeedDrawsTheSameTokens()
    {
        var p = new SamplingParams { Temperature = 1 };
        Assert.Equal(Draw(p, 50, seed: 7), Draw(p, 50, seed: 7));
        Assert.NotEqual(Draw(p, 50, seed: 7), Draw(p, 50, seed: 8));
    }

    [Fact]
    public void RowsOfABatchFollowTheirOwnParameters()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { 0, 5, 1, 9, 0, 0 }).view(2, 3);
        var ids = Sampler.Sample(logits, [new SamplingParams(), new SamplingParams { Temperature = 1, TopK = 1 }], [new SequenceRandom(1), new SequenceRandom(2)]);
        Assert.Equal([1, 0], ids);
    }

    [Fact]
    public void ANucleusWiderThanTheFirstLookIsFoundWhole()
    {
        using var scope = NewDisposeScope();
        // 1000 slowly falling logits: the nucleus of top_p 0.5 holds hundreds of tokens, far more than 64.
        var values = Enumerable.Range(0, 1000).Select(i => -0.002 * i).ToArray();
        var mass = values.Select(Math.Exp).ToArray();
        var (total, before, nucleus) = (mass.Sum(), 0.0, 0);
        while (before / total < 0.5) before += mass[nucleus++];
        var logits = tensor(values.Select(v => (float)v).ToArray()).unsqueeze(0);
        var random = new SequenceRandom(3);
        var draws = Enumerable.Range(0, 2000).Select(_ => Sampler.Sample(logits, [new SamplingParams { Temperature = 1, TopP = 0.5 }], [random])[0]).ToArray();
        Assert.InRange(nucleus, 200, 400);
        Assert.All(draws, id => Assert.InRange(id, 0, nucleus - 1));
        Assert.Contains(draws, id => id >= nucleus - 50);
    }

    [Fact]
    public void ARowDrawsTheSameInABatchAsAlone()
    {
        using var scope = NewDisposeScope();
        var logits = randn(5, 300, generator: manual_seed(11));
        SamplingParams[] parameters =
        [
            new() { Temperature = 1 }, new(), new() { Temperature = 0.7, TopK = 5 }, new() { Temperature = 1.3, TopP = 0.8 },
            new() { Temperature = 0.9, TopK = 40, TopP = 0.6 },
        ];
        var batched = new SequenceRandom[5].Select((_, row) => new SequenceRandom(100 + row)).ToArray();
        var alone = new SequenceRandom[5].Select((_, row) => new SequenceRandom(100 + row)).ToArray();
        for (var step = 0; step < 20; step++)
        {
            var together = Sampler.Sample(logits, parameters, batched);
            for (var row = 0; row < 5; row++)
                Assert.Equal(together[row], Sampler.Sample(logits.narrow(0, row, 1), [parameters[row]], [alone[row]])[0]);
        }
    }

    [Fact]
    public void ATemperatureTooSmallToDivideByIsGreedy() =>
        Assert.All(Draw(new SamplingParams { Temperature = 5e-324 }, 20), id => Assert.Equal(0, id));

    [Fact]
    public void ARowOfNaNStillGetsATokenOfTheVocabularyAndSparesTheOthers()
    {
        using var scope = NewDisposeScope();
        var logits = stack([full(6, float.NaN), tensor(new float[] { 0, 0, 9, 0, 0, 0 })]);
        foreach (var p in new[] { new SamplingParams { Temperature = 1 }, new SamplingParams { Temperature = 1, TopP = 0.5 }, new SamplingParams { Temperature = 1, TopK = 3 } })
        {
            var ids = Sampler.Sample(logits, [p, new SamplingParams { Temperature = 1, TopK = 1 }], [new SequenceRandom(1), new SequenceRandom(2)]);
            Assert.InRange(ids[0], 0, 5);
            Assert.Equal(2, ids[1]);
        }
    }

    [Fact]
    public void TopPAppliesToTheTopKCandidatesRenormalized()
    {
        // Top-2 of [0.5, 0.3, ...] renormalized is [0.625, 0.375]: the mass before token 1 (0.625) reaches 0.6, so
        // only token 0 is kept (over the whole vocabulary it would be 0.5, and token 1 kept too).
        var draws = Draw(new SamplingParams { Temperature = 1, TopK = 2, TopP = 0.6 }, 500);
        Assert.All(draws, id => Assert.Equal(0, id));
    }

    [Fact]
    public void ADrawWhoseTargetRoundsToTheTotalTakesTheLastWeightedPosition()
    {
        using var scope = NewDisposeScope();
        // 1 - 1e-9 rounds to 1 in float32: the target equals the total, which no cumulative weight exceeds.
        var positions = Sampler.Draw(tensor(new float[] { 1, 1, 0, 0, 2, 0, 0 }).view(1, 7), [1 - 1e-9]);
        Assert.Equal([4L], positions);
    }
}
