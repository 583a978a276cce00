using Rex.Model.Sampling;
using static TorchSharp.torch;

namespace Rex.Model.Tests.Sampling;

public sealed class PenaltiesAndLogprobsTests
{
    [Fact]
    public void PenaltiesSubtractPerOccurrenceAndOncePerPresentToken()
    {
        using var scope = NewDisposeScope();
        var logits = zeros(3, 5);
        var penalised = Penalties.Apply(logits,
            [new SamplingParams { PresencePenalty = 0.5, FrequencyPenalty = 0.25 }, new SamplingParams(), new SamplingParams { FrequencyPenalty = -1 }],
            [[1, 3, 3, 3], [0, 1], [4]]);
        Assert.Equal([0f, -0.75f, 0f, -1.25f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 1f], penalised.data<float>().ToArray());
        Assert.Equal(0, logits.abs().sum().item<float>());
    }

    [Fact]
    public void ATokenOutsideTheVocabularyIsRefusedNotPenalisedInTheNextRow()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Penalties.Apply(zeros(2, 5), [new SamplingParams { PresencePenalty = 1 }, new SamplingParams()], [[6], []]));
        Assert.Contains("outside the vocabulary [0, 5)", error.Message);
    }

    [Fact]
    public void NoPenaltiesOrNoOutputLeaveTheLogitsAlone()
    {
        using var scope = NewDisposeScope();
        var logits = arange(10, ScalarType.Float32).view(2, 5);
        Assert.Same(logits, Penalties.Apply(logits, [new SamplingParams(), new SamplingParams()], [[1, 2], [3]]));
        Assert.Same(logits, Penalties.Apply(logits, [new SamplingParams { PresencePenalty = 1 }, new SamplingParams()], [[], [3]]));
    }

    [Fact]
    public void LogprobsAreTheModelsLogSoftmaxWithTheMostLikelyFirst()
    {
        using var scope = NewDisposeScope();
        var probabilities = new[] { 0.1, 0.6, 0.3 };
        var logits = tensor(probabilities.Select(p => (float)Math.Log(p) + 2f).ToArray()); // a shift changes no probability
        // Three rows of one batch: different chosen tokens and different numbers of alternatives.
        var batch = Logprobs.Of(stack([logits, logits, logits.flip(0)]), chosen: [2, 0, 0], top: [2, 0, 3]);
        Assert.Equal(2, batch[0].TokenId);
        Assert.Equal(Math.Log(0.3), batch[0].Logprob, 5);
        Assert.Equal([1, 2], batch[0].Top.Select(t => t.TokenId));
        Assert.Equal(Math.Log(0.6), batch[0].Top[0].Logprob, 5);
        Assert.Equal(Math.Log(0.1), batch[1].Logprob, 5);
        Assert.Empty(batch[1].Top);
        // The flipped row holds [0.3, 0.6, 0.1]: token 0 is its 0.3.
        Assert.Equal(Math.Log(0.3), batch[2].Logprob, 5);
        Assert.Equal([1, 0, 2], batch[2].Top.Select(t => t.TokenId));
    }

    [Theory]
    [InlineData("presence_penalty")]
    [InlineData("frequency_penalty")]
    [InlineData("logprobs")]
    public void OutOfRangeValuesAreRejectedByName(string field)
    {
        var p = field switch
        {
            "presence_penalty" => new SamplingParams { PresencePenalty = 2.5 },
            "frequency_penalty" => new SamplingParams { FrequencyPenalty = double.NaN },
            _ => new SamplingParams { Logprobs = SamplingParams.MaxLogprobs + 1 },
        };
        Assert.Equal(field, Assert.Throws<ArgumentException>(() => p.Validate(100)).ParamName);
    }
}
