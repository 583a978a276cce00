using Rex.Model.Engine;
using Rex.Model.Sampling;
using static TorchSharp.torch;

namespace Rex.Model.Tests.Sampling;

public sealed class LogitBiasTests
{
    [Theory]
    [InlineData(99, 101.0, "logit_bias values must be in [-100, 100], got 101 for token 99")]
    [InlineData(5, double.NaN, "logit_bias values must be in [-100, 100], got NaN for token 5")]
    [InlineData(100, 1.0, "logit_bias holds token id 100, outside the vocabulary [0, 100)")]
    [InlineData(-1, 1.0, "logit_bias holds token id -1, outside the vocabulary [0, 100)")]
    public void OutOfRangeIdsAndValuesAreRefusedNamingTheLimit(int id, double bias, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => new SamplingParams { LogitBias = new Dictionary<int, double> { [id] = bias } }.Validate(100));
        Assert.Equal(("logit_bias", message), (error.ParamName, ApiMessage(error)));
    }

    [Fact]
    public void TheLimitsThemselvesAreAllowed() =>
        new SamplingParams { LogitBias = new Dictionary<int, double> { [0] = -100, [99] = 100 } }.Validate(100);

    [Fact]
    public void EachRowsBiasIsAddedToItsOwnTokensOnly()
    {
        using var scope = NewDisposeScope();
        var logits = zeros(3, 4);

        var biased = LogitBias.Apply(logits,
            [new SamplingParams { LogitBias = new Dictionary<int, double> { [1] = 2.5, [3] = -100 } }, new SamplingParams(), new SamplingParams { LogitBias = new Dictionary<int, double> { [0] = 1 } }]);

        Assert.Equal([0f, 2.5f, 0f, -100f, 0f, 0f, 0f, 0f, 1f, 0f, 0f, 0f], biased.data<float>().ToArray());
        Assert.Equal(0, logits.abs().sum().item<float>());
    }

    [Fact]
    public void NoBiasLeavesTheLogitsAlone()
    {
        using var scope = NewDisposeScope();
        var logits = arange(8, ScalarType.Float32).view(2, 4);
        Assert.Same(logits, LogitBias.Apply(logits, [new SamplingParams(), new SamplingParams { LogitBias = new Dictionary<int, double>() }]));
    }

    [Fact]
    public void AGreedyRowTakesTheBiasedArgmaxNotTheOneItWasGiven()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new[] { 0f, 5f, 1f, 2f }).view(1, 4);
        var sequence = new Sequence([0], new SamplingParams { MaxTokens = 4, LogitBias = new Dictionary<int, double> { [1] = -100, [2] = 3 } }, [], tokenizer: null, maxSeqLen: 16);

        SequenceSampler.SampleNext(logits, [sequence], argmax: [1]);

        Assert.Equal([2], sequence.OutputIds);
    }

    static string ApiMessage(ArgumentException error) => error.Message[..error.Message.IndexOf(" (Parameter", StringComparison.Ordinal)];
}
