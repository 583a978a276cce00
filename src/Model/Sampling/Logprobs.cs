using static TorchSharp.torch;

namespace Rex.Model.Sampling;

/// <summary>Log-probabilities of the model's own distribution (before temperature, truncation and penalties), as vLLM reports them.</summary>
public static class Logprobs
{
    // logits: [vocab] float32, one row
    public static TokenLogprob Of(Tensor logits, int chosen, int top)
    {
        using var scope = NewDisposeScope();
        var logprobs = logits.log_softmax(-1);
        var pairs = new List<(int, float)>(top);
        if (top > 0)
        {
            var (values, ids) = logprobs.topk(top);
            var topValues = values.to(CPU).data<float>().ToArray();
            var topIds = ids.to(CPU).data<long>().ToArray();
            for (var i = 0; i < top; i++) pairs.Add(((int)topIds[i], topValues[i]));
        }
        return new TokenLogprob(chosen, logprobs[chosen].item<float>(), pairs);
    }
}
