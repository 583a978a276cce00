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
        var vocab = logits.shape[1];
        var positions = new List<long>();
        var amounts = new List<float>();
        for (var row = 0; row < parameters.Count; row++)
        {
            var p = parameters[row];
            if (!p.HasPenalties) continue;
            foreach (var (token, count) in generated[row].CountBy(id => id))
            {
                // Flat positions: an id outside the vocabulary would land in the next row's logits.
                if (token < 0 || token >= vocab) throw new ArgumentOutOfRangeException(nameof(generated), token, $"row {row}: token id outside the vocabulary [0, {vocab})");
                positions.Add(row * vocab + token);
                amounts.Add((float)-(p.FrequencyPenalty * count + p.PresencePenalty));
            }
        }
        if (positions.Count == 0) return logits;
        var device = logits.device;
        return logits.reshape(-1).clone()
            .index_add_(0, tensor(positions.ToArray(), ScalarType.Int64, device), tensor(amounts.ToArray(), ScalarType.Float32, device).to(logits.dtype), 1)
            .view(logits.shape);
    }
}
