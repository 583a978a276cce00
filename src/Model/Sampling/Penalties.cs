using static TorchSharp.torch;

namespace Rex.Model.Sampling;

/// <summary>
/// OpenAI's presence and frequency penalties: a token generated `c` times loses
/// `frequency * c + presence * (c > 0)` from its logit before sampling. Only the generated tokens count, as in vLLM.
/// </summary>
public static class Penalties
{
    // logits: [vocab] float32, one row; generated: the row's output token ids so far -> [vocab] penalised logits
    public static Tensor Apply(Tensor logits, SamplingParams p, IReadOnlyList<int> generated)
    {
        if (!p.HasPenalties || generated.Count == 0) return logits;
        var ids = tensor(generated.Select(i => (long)i).ToArray(), ScalarType.Int64, logits.device);
        var counts = ids.bincount(null, logits.shape[0]).to(logits.dtype);
        return logits - counts * p.FrequencyPenalty - counts.gt(0).to(logits.dtype) * p.PresencePenalty;
    }
}
