using static TorchSharp.torch;

namespace Rex.Model.Sampling;

/// <summary>
/// OpenAI's logit_bias: each listed token's bias added to its logit before sampling, as OpenAI and vLLM do. It comes
/// before the argmax of a greedy row too, so a bias of -100 keeps a token out of greedy output as well.
/// </summary>
public static class LogitBias
{
    /// <summary>
    /// logits: [rows, vocab] float32; parameters, one per row -> the biased logits [rows, vocab], or `logits` itself
    /// when no row has a bias.
    /// </summary>
    public static Tensor Apply(Tensor logits, IReadOnlyList<SamplingParams> parameters)
    {
        var additions = new LogitAdditions(logits.shape[1], nameof(SamplingParams.LogitBias));
        for (var row = 0; row < parameters.Count; row++)
        {
            // Most rows have none: no empty dictionary per row and step to walk.
            if (parameters[row].LogitBias is not { } biases) continue;
            foreach (var (token, bias) in biases) additions.Add(row, token, bias);
        }
        return additions.AddTo(logits);
    }
}
