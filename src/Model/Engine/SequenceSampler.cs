using Rex.Model.Sampling;
using static TorchSharp.torch;

namespace Rex.Model.Engine;

/// <summary>
/// The last part of every step, shared by every engine: logit bias and penalties, one token per sequence, its log-probability
/// when asked for, and the sequence extended (which decides whether it has finished).
/// </summary>
public static class SequenceSampler
{
    // logits: [sequences, vocab] float32, row i predicting sequences[i]'s next token; argmax: each row's argmax,
    // when the caller computed it already (used unless logit bias or penalties change the logits)
    public static void SampleNext(Tensor logits, IReadOnlyList<Sequence> sequences, long[]? argmax = null)
    {
        using var scope = NewDisposeScope();
        var sampling = sequences.Select(s => s.Sampling).ToArray();
        var adjusted = Penalties.Apply(LogitBias.Apply(logits, sampling), sampling, sequences.Select(s => s.OutputIds).ToArray());
        if (!ReferenceEquals(adjusted, logits)) argmax = null;
        var next = Sampler.Sample(adjusted, sampling, sequences.Select(s => s.Random).ToArray(), argmax);
        var reporting = Enumerable.Range(0, sequences.Count).Where(i => sequences[i].Sampling.Logprobs is not null).ToArray();
        var logprobs = new TokenLogprob?[sequences.Count];
        if (reporting.Length > 0)
        {
            var reported = Logprobs.Of(Sampler.Take(logits, reporting), reporting.Select(i => next[i]).ToArray(), reporting.Select(i => sequences[i].Sampling.Logprobs!.Value).ToArray());
            for (var r = 0; r < reporting.Length; r++) logprobs[reporting[r]] = reported[r];
        }
        for (var i = 0; i < sequences.Count; i++) sequences[i].Append(next[i], logprobs[i]);
    }
}
