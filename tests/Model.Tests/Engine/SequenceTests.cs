using Rex.Model.Engine;
using Rex.Model.Sampling;
using Rex.Model.Tokenization;

namespace Rex.Model.Tests.Engine;

public sealed class SequenceTests
{
    static readonly DbrxTokenizer Tokenizer = DbrxTokenizer.Default;

    static Sequence New(SamplingParams sampling) => new([1, 2], sampling, [Tokenizer.SpecialTokenId(DbrxTokenizer.EndOfText)], Tokenizer, 1000);

    static string Deliver(Sequence sequence, string text, List<string> deltas)
    {
        foreach (var id in Tokenizer.Encode(text))
        {
            if (sequence.IsFinished) break;
            sequence.Append(id);
            deltas.Add(sequence.TakeDelta().Text);
        }
        return string.Concat(deltas);
    }

    [Fact]
    public void DeltasHoldBackTextThatCouldStillBecomeAStopString()
    {
        var sequence = New(new SamplingParams { MaxTokens = 100, Stop = ["END!"] });
        var deltas = new List<string>();
        var delivered = Deliver(sequence, "one two three EN", deltas);
        // "END!" is 4 characters: the last 3 wait, since the next token could complete it.
        Assert.Equal("one two three", delivered);
        Deliver(sequence, "D! four", deltas);
        Assert.Equal(FinishReason.Stop, sequence.FinishReason);
        Assert.Equal("one two three ", string.Concat(deltas));
        Assert.Equal(sequence.Text, string.Concat(deltas));
    }

    [Fact]
    public void WithoutStopStringsTextFlowsAtOnceAndTokensComeOnce()
    {
        var sequence = New(new SamplingParams { MaxTokens = 100 });
        var deltas = new List<string>();
        Assert.Equal("hello world", Deliver(sequence, "hello world", deltas));
        Assert.Empty(sequence.TakeDelta().TokenIds);
        Assert.Null(sequence.TakeDelta().Logprobs);
    }

    [Fact]
    public void TheFullTokenListRunsPromptThenOutput()
    {
        var sequence = New(new SamplingParams { MaxTokens = 3 });
        sequence.Append(7);
        Assert.Equal(3, sequence.NumTokens);
        Assert.Equal([1, 2, 7], Enumerable.Range(0, sequence.NumTokens).Select(sequence.TokenAt));
    }
}
