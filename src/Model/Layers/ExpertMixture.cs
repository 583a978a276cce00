using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>
/// The weighted sum of experts' outputs over the rows routed to them: what the local engine computes for a whole
/// layer and what an expert silo computes for the experts it hosts. The rows of all experts are gathered in one
/// copy, each expert writes its range of one output, and the weighted outputs are added to their rows in one
/// scatter: a handful of TorchSharp calls per expert instead of a dozen, which on a CPU with a small model is most
/// of an expert's cost.
/// </summary>
public static class ExpertMixture
{
    /// <summary>
    /// hidden: [rows, d_model]; rows: [pairs] int64, the row of each (row, expert) pair, grouped by expert in the
    /// order of <paramref name="experts"/> (expert i takes its Count pairs after those of experts 0..i-1);
    /// weights: [pairs] float32 routing weights -> [rows, d_model] float32, zero for rows no expert here serves.
    /// The sum accumulates in float32 and adds each row's experts in their order in <paramref name="experts"/>.
    /// </summary>
    public static Tensor WeightedSum(Tensor hidden, IReadOnlyList<(ExpertGlu Expert, int Count)> experts, Tensor rows, Tensor weights)
    {
        var numPairs = experts.Sum(e => e.Count);
        if (rows.shape[0] != numPairs || weights.shape[0] != numPairs)
            throw new ArgumentException($"{numPairs} pairs for the experts, but {rows.shape[0]} rows and {weights.shape[0]} weights");
        var output = zeros(hidden.shape[0], hidden.shape[1], ScalarType.Float32, hidden.device);
        if (numPairs == 0) return output;
        using var scope = NewDisposeScope();
        var inputs = hidden.index_select(0, rows);   // [pairs, d_model]
        var outputs = empty_like(inputs);
        var start = 0;
        foreach (var (expert, count) in experts)
        {
            if (count > 0) expert.ForwardInto(inputs.narrow(0, start, count), outputs.narrow(0, start, count));
            start += count;
        }
        output.index_add_(0, rows, outputs.to(ScalarType.Float32).mul_(weights.to(ScalarType.Float32).unsqueeze(1)), 1);
        return output;
    }
}
