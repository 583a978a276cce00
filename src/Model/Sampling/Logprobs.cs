using static TorchSharp.torch;

namespace Rex.Model.Sampling;

/// <summary>Log-probabilities of the model's own distribution (before temperature, truncation and penalties), as vLLM reports them.</summary>
public static class Logprobs
{
    /// <summary>
    /// logits: [rows, vocab] float32; chosen: each row's sampled token; top: how many alternatives each row reports ->
    /// one <see cref="TokenLogprob"/> per row. All rows in one log-softmax, one gather and one top-k.
    /// </summary>
    public static TokenLogprob[] Of(Tensor logits, IReadOnlyList<int> chosen, IReadOnlyList<int> top)
    {
        using var scope = NewDisposeScope();
        var rows = chosen.Count;
        var logprobs = logits.log_softmax(-1);
        var chosenIds = tensor(chosen.Select(id => (long)id).ToArray(), ScalarType.Int64, logits.device).unsqueeze(1);
        var chosenValues = logprobs.gather(1, chosenIds).to(CPU).data<float>().ToArray();
        var width = top.DefaultIfEmpty(0).Max();
        float[] topValues = [];
        long[] topIds = [];
        if (width > 0)
        {
            var (values, ids) = logprobs.topk(width, 1);
            topValues = values.to(CPU).data<float>().ToArray();
            topIds = ids.to(CPU).data<long>().ToArray();
        }
        return Enumerable.Range(0, rows).Select(row => new TokenLogprob(chosen[row], chosenValues[row],
            Enumerable.Range(row * width, top[row]).Select(i => ((int)topIds[i], topValues[i])).ToArray())).ToArray();
    }
}
