using static TorchSharp.torch;

namespace Rex.Model.Sampling;

/// <summary>
/// Picks the next token of each row: argmax for greedy rows (all at once), otherwise temperature, top-k, top-p
/// on the device and one draw from the row's own <see cref="SequenceRandom"/> on the host.
/// </summary>
public static class Sampler
{
    // logits: [rows, vocab] float32 -> one token id per row; argmax: the logits' argmax per row, when already known
    public static int[] Sample(Tensor logits, IReadOnlyList<SamplingParams> parameters, IReadOnlyList<SequenceRandom> randoms, long[]? argmax = null)
    {
        using var scope = NewDisposeScope();
        var rows = (int)logits.shape[0];
        var chosen = new int[rows];
        var greedy = argmax ?? logits.argmax(-1).to(ScalarType.Int64, CPU).data<long>().ToArray();
        for (var row = 0; row < rows; row++)
            chosen[row] = parameters[row].IsGreedy ? (int)greedy[row] : SampleRow(logits[row], parameters[row], randoms[row]);
        return chosen;
    }

    // logits: [vocab] float32
    static int SampleRow(Tensor logits, SamplingParams p, SequenceRandom random)
    {
        var vocab = logits.shape[0];
        var scaled = logits.to(ScalarType.Float64) / p.Temperature;
        Tensor values, ids;
        if (p.TopK > 0 && p.TopK < vocab)
            (values, ids) = scaled.topk(p.TopK);
        else if (p.TopP < 1)
            (values, ids) = scaled.sort(descending: true);
        else
            (values, ids) = (scaled, arange(vocab, ScalarType.Int64, logits.device));

        var probabilities = values.softmax(-1);
        if (p.TopP < 1)
        {
            // Candidates are sorted: keep each token whose predecessors' mass is still below top_p (the first always).
            var before = probabilities.cumsum(-1) - probabilities;
            var kept = Math.Max(1L, (before < p.TopP).sum().item<long>());
            probabilities = probabilities.narrow(0, 0, kept);
            ids = ids.narrow(0, 0, kept);
        }

        var mass = probabilities.to(CPU).data<double>().ToArray();
        var target = random.NextDouble() * mass.Sum();
        var pick = mass.Length - 1;
        var cumulative = 0.0;
        for (var i = 0; i < mass.Length; i++)
        {
            cumulative += mass[i];
            if (target < cumulative)
            {
                pick = i;
                break;
            }
        }
        return (int)ids[pick].item<long>();
    }
}
