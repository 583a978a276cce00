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
        var output = zeros_like(x);
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
        var flatWeights = weights.reshape(-1).to(x.dtype);
        foreach (var (expert, slots) in slotsByExpert.OrderBy(p => p.Key))
        {
            var slotIndex = tensor(slots.ToArray(), ScalarType.Int64, x.device);
            var rows = tensor(slots.Select(s => s / topK).ToArray(), ScalarType.Int64, x.device);
            var y = experts[expert].Forward(x.index_select(0, rows));
            output.index_add_(0, rows, y * flatWeights.index_select(0, slotIndex).unsqueeze(1), 1);
        }
        return output;
    }

    public void Dispose()
    {
        foreach (var expert in experts.Values) expert.Dispose();
    }
}
