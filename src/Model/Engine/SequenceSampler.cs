using Rex.Model.Sampling;
using static TorchSharp.torch;

namespace Rex.Model.Engine;

/// <summary>
/// The last part of every step, shared by every engine: penalties, one token per sequence, its log-probability
/// when asked for, and the sequence extended (which decides whether it has finished).
/// </summary>
public static class SequenceSampler
{
    // logits: [sequences, vocab] float32, row i predicting sequences[i]'s next token; argmax: each row's argmax,
    // when the caller computed it already (used unless penalties change the logits)
    public static void SampleNext(Tensor logits, IReadOnlyList<Sequence> sequences, long[]? argmax = null)
    {
        using var scope = NewDisposeScope();
        var adjusted = logits;
        if (sequences.Any(s => s.Sampling.HasPenalties))
        {
            adjusted = stack(sequences.Select((s, row) => Penalties.Apply(logits[row], s.Sampling, s.OutputIds)).ToArray());
            argmax = null;
        }
        var next = Sampler.Sample(adjusted, sequences.Select(s => s.Sampling).ToArray(), sequences.Select(s => s.Random).ToArray(), argmax);
        for (var i = 0; i < sequences.Count; i++)
        {
            var logprob = sequences[i].Sampling.Logprobs is { } top ? Sampling.Logprobs.Of(logits[i], next[i], top) : null;
            sequences[i].Append(next[i], logprob);
        }
    }
}
