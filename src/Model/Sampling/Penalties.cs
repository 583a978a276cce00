using static TorchSharp.torch;

namespace Rex.Model.Sampling;

/// <summary>
/// OpenAI's presence and frequency penalties: a token generated `c` times loses
/// `frequency * c + presence * (c > 0)` from its logit before sampling. Only the generated tokens count, as in vLLM.
/// </summary>
public static class Penalties
{
    /// <summary>
    /// logits: [rows, vocab] float32; parameters and generated (each row's output token ids so far), one per row ->
    /// the penalised logits [rows, vocab], or `logits` itself when no row has a penalty to apply. The penalties are
    /// counted on the host (a row's output is at most max_tokens ids) and subtracted in one scatter over all rows,
    /// not in five vocabulary-wide operations per row.
    /// </summary>
    public static Tensor Apply(Tensor logits, IReadOnlyList<SamplingParams> parameters, IReadOnlyList<IReadOnlyList<int>> generated)
    {
        var additions = new LogitAdditions(logits.shape[1], nameof(generated));
        for (var row = 0; row < parameters.Count; row++)
        {
            var p = parameters[row];
            if (!p.HasPenalties) continue;
            foreach (var (token, count) in generated[row].CountBy(id => id))
                additions.Add(row, token, -(p.FrequencyPenalty * count + p.PresencePenalty));
        }
        return additions.AddTo(logits);
    }
}
