using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>
/// The expert half of one block: some or all of a layer's experts. Given rows with their chosen experts and
/// weights, it returns for every row the weighted sum of the outputs of the chosen experts it holds, so that
/// hosts holding disjoint subsets return partial sums that add up to the full mixture.
/// </summary>
public sealed class ExpertLayer(IReadOnlyDictionary<int, ExpertGlu> experts) : IDisposable
{
    // x: [rows, d_model]; chosen: [rows, top_k] int64; weights: [rows, top_k] float -> [rows, d_model]
    public Tensor Forward(Tensor x, Tensor chosen, Tensor weights)
    {
        var topK = (int)chosen.shape[1];
        // Group (row, slot) pairs by expert on the host: top_k * rows small integers, one device-to-host copy.
        var flatChosen = chosen.reshape(-1).to(ScalarType.Int64, CPU).data<long>().ToArray();
        var slotsByExpert = new Dictionary<int, List<long>>();
        for (var slot = 0; slot < flatChosen.Length; slot++)
        {
            var expert = (int)flatChosen[slot];
            if (!experts.ContainsKey(expert)) continue;
            if (!slotsByExpert.TryGetValue(expert, out var slots)) slotsByExpert[expert] = slots = [];
            slots.Add(slot);
        }
        var ordered = slotsByExpert.OrderBy(p => p.Key).ToArray();
        var slotIndex = tensor(ordered.SelectMany(p => p.Value).ToArray(), ScalarType.Int64, x.device);
        var rows = tensor(ordered.SelectMany(p => p.Value).Select(s => s / topK).ToArray(), ScalarType.Int64, x.device);
        var pairWeights = weights.reshape(-1).index_select(0, slotIndex);
        var sum = ExpertMixture.WeightedSum(x, ordered.Select(p => (experts[p.Key], p.Value.Count)).ToArray(), rows, pairWeights);
        return sum.to(x.dtype);
    }

    public void Dispose()
    {
        foreach (var expert in experts.Values) expert.Dispose();
    }
}
