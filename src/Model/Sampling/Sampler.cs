using static TorchSharp.torch;

namespace Rex.Model.Sampling;

/// <summary>
/// Picks the next token of each row: argmax for greedy rows, otherwise temperature, top-k and top-p on the device
/// for all sampled rows at once, and one inverse-CDF draw per row from the row's own <see cref="SequenceRandom"/>.
/// A batch costs a fixed number of tensor calls whatever its size: calls per row made temperature sampling cost a
/// millisecond per row and step on a CPU (a 100k vocabulary in float64, copied to the host and summed there); a batch
/// of 32 rows now takes 5 ms on one thread. Top-p still sorts as far as its nucleus reaches, which for a flat
/// distribution is most of the vocabulary.
/// </summary>
public static class Sampler
{
    /// <summary>Rows with top-p and no top-k look for their nucleus among this many top candidates first.</summary>
    const int NucleusSearchWidth = 64;

    /// <summary>How much wider each further look is, up to the whole vocabulary.</summary>
    const int NucleusSearchGrowth = 64;

    // logits: [rows, vocab] float32 -> one token id per row; argmax: the logits' argmax per row, when already known
    public static int[] Sample(Tensor logits, IReadOnlyList<SamplingParams> parameters, IReadOnlyList<SequenceRandom> randoms, long[]? argmax = null)
    {
        using var scope = NewDisposeScope();
        var rows = (int)logits.shape[0];
        var chosen = new int[rows];
        var sampled = Enumerable.Range(0, rows).Where(row => !parameters[row].IsGreedy).ToArray();
        if (sampled.Length < rows)
        {
            var greedy = argmax ?? logits.argmax(-1).to(ScalarType.Int64, CPU).data<long>().ToArray();
            for (var row = 0; row < rows; row++) chosen[row] = (int)greedy[row];
        }
        if (sampled.Length == 0) return chosen;

        var vocab = logits.shape[1];
        // float32 throughout: on a CPU libtorch's float64 softmax over [32, 100k] took 18 ms, float32's under 1.
        var temperatures = tensor(sampled.Select(row => (float)parameters[row].Temperature).ToArray(), ScalarType.Float32, logits.device).unsqueeze(1);
        var scaled = Take(logits, sampled).to(ScalarType.Float32).div(temperatures);
        // One uniform per sampled row and step, from the row's own stream: a seed's draws do not depend on the batch.
        var uniforms = sampled.Select(row => randoms[row].NextDouble()).ToArray();
        var truncated = sampled.Select(row => parameters[row].TopK > 0 && parameters[row].TopK < vocab || parameters[row].TopP < 1).ToArray();

        var whole = Subset(sampled.Length, truncated, false);
        if (whole.Length > 0)
        {
            // Rows keeping the whole vocabulary need no order: the draw walks the vocabulary as it is. (libtorch's
            // softmax, one fused kernel, took half the time of max, subtract and exp on a CPU.)
            var positions = Draw(Take(scaled, whole).softmax(1), whole.Select(i => uniforms[i]).ToArray());
            for (var i = 0; i < whole.Length; i++) chosen[sampled[whole[i]]] = (int)positions[i];
        }

        var top = Subset(sampled.Length, truncated, true);
        if (top.Length > 0)
        {
            var (probabilities, ids, kept) = TopCandidates(Take(scaled, top), top.Select(i => parameters[sampled[i]]).ToArray());
            // Within the kept candidates also where a device's parallel scan rounds the flat tail's sums below the total.
            var positions = Draw(probabilities, top.Select(i => uniforms[i]).ToArray()).Select((p, i) => Math.Min(p, kept[i] - 1)).ToArray();
            var tokens = ids.gather(1, tensor(positions, ScalarType.Int64, logits.device).unsqueeze(1)).to(CPU).data<long>().ToArray();
            for (var i = 0; i < top.Length; i++) chosen[sampled[top[i]]] = (int)tokens[i];
        }
        return chosen;
    }

    static int[] Subset(int count, bool[] truncated, bool wanted) => Enumerable.Range(0, count).Where(i => truncated[i] == wanted).ToArray();

    // The subset's rows (ascending, distinct) of `rows`, without a copy when that is all of them.
    internal static Tensor Take(Tensor rows, int[] subset) => subset.Length == rows.shape[0] ? rows
        : rows.index_select(0, tensor(subset.Select(r => (long)r).ToArray(), ScalarType.Int64, rows.device));

    /// <summary>
    /// scaled: [rows, vocab] float32 (logits over temperature) of rows with top-k or top-p -> each row's candidates in
    /// descending order: probabilities [rows, width] (zero past the row's kept candidates), their token ids
    /// [rows, width], and how many each row keeps. Top-k keeps the k most likely and renormalizes over them; top-p
    /// then keeps the shortest prefix whose mass before each kept token is below p (the first always).
    /// </summary>
    static (Tensor Probabilities, Tensor Ids, long[] Kept) TopCandidates(Tensor scaled, SamplingParams[] parameters)
    {
        var vocab = scaled.shape[1];
        var device = scaled.device;
        var topK = parameters.Select(p => p.TopK > 0 && p.TopK < vocab ? p.TopK : vocab).ToArray();
        var nucleusOnly = topK.Select(k => k == vocab).ToArray();
        var limit = tensor(topK, ScalarType.Int64, device).unsqueeze(1);
        var topP = tensor(parameters.Select(p => p.TopP < 1 ? (float)p.TopP : float.PositiveInfinity).ToArray(), ScalarType.Float32, device).unsqueeze(1);
        // Rows without top-k are normalized over the whole vocabulary, rows with it over their k candidates.
        var wholeNormalizer = nucleusOnly.Any(n => n) ? scaled.logsumexp(1, keepdim: true) : null;
        var width = Math.Min(vocab, Math.Max(topK.Where(k => k < vocab).DefaultIfEmpty(0).Max(), nucleusOnly.Any(n => n) ? NucleusSearchWidth : 0));
        while (true)
        {
            var (values, ids) = scaled.topk((int)width, 1);
            var column = arange(width, ScalarType.Int64, device).unsqueeze(0);
            var outside = column >= limit;
            var masked = values.masked_fill(outside, float.NegativeInfinity);
            var candidatesNormalizer = masked.logsumexp(1, keepdim: true);
            var normalizer = wholeNormalizer is null ? candidatesNormalizer
                : where(tensor(nucleusOnly, ScalarType.Bool, device).unsqueeze(1), wholeNormalizer, candidatesNormalizer);
            var probabilities = masked.sub_(normalizer).exp_();
            // The mass before each candidate, summed without it (cumsum less the candidate would round: 0.5 came out
            // as 0.49999997 and kept a token that the rule drops).
            var before = cat([zeros(probabilities.shape[0], 1, probabilities.dtype, device), probabilities.cumsum(1).narrow(1, 0, width - 1)], 1);
            var kept = before.lt(topP).logical_and_(outside.logical_not()).sum(1).clamp_min(1).to(CPU).data<long>().ToArray();
            // A nucleus that fills every candidate looked at may go on past them: look again, wider.
            if (width < vocab && Enumerable.Range(0, kept.Length).Any(i => nucleusOnly[i] && kept[i] == width))
            {
                width = Math.Min(vocab, width * NucleusSearchGrowth);
                continue;
            }
            var dropped = column >= tensor(kept, ScalarType.Int64, device).unsqueeze(1);
            return (probabilities.masked_fill_(dropped, 0), ids, kept);
        }
    }

    /// <summary>
    /// weights: [rows, width] float32, non-negative, proportional to the candidates' probabilities -> for each row
    /// the first position whose cumulative weight exceeds its uniform times the row's total: an inverse-CDF draw,
    /// which lands only where the cumulative weight rises, so never on a zero-weight candidate; where rounding puts
    /// the target at the total (a uniform just below 1 rounds to 1 in float32), the last position where it rises. A
    /// row that is not a distribution (NaN, from logits the model made NaN) still gets a position inside the row, so
    /// a bad row costs its own request a meaningless token, never the step an index out of range.
    /// </summary>
    internal static long[] Draw(Tensor weights, double[] uniforms)
    {
        var cumulative = weights.cumsum(1);
        var totals = cumulative.narrow(1, cumulative.shape[1] - 1, 1).contiguous();
        var targets = tensor(uniforms.Select(u => (float)u).ToArray(), ScalarType.Float32, weights.device).unsqueeze(1).mul_(totals);
        var positions = searchsorted(cumulative, targets, right: true).minimum(searchsorted(cumulative, totals)).clamp_(0, cumulative.shape[1] - 1);
        return positions.to(CPU).data<long>().ToArray();
    }
}
