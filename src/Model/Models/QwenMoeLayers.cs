using Rex.Model.Config;

namespace Rex.Model.Models;

/// <summary>Which layers of a Qwen MoE model are dense, as Qwen2-MoE and Qwen3-MoE both decide it.</summary>
internal static class QwenMoeLayers
{
    /// <summary>
    /// Layer i is MoE unless it is in `mlp_only_layers`, or `num_experts` is 0, or (i + 1) is not a multiple of
    /// `decoder_sparse_step`; the rest are dense.
    /// </summary>
    public static IReadOnlyList<int> Dense(JsonFields config, int numLayers)
    {
        var mlpOnly = config.IntList("mlp_only_layers", []);
        var step = config.Int("decoder_sparse_step", 1);
        if (step < 1) throw config.Error("decoder_sparse_step", $"= {step} must be at least 1");
        var hasExperts = config.Int("num_experts", 1) > 0;
        return Enumerable.Range(0, numLayers).Where(i => mlpOnly.Contains(i) || !hasExperts || (i + 1) % step != 0).ToArray();
    }
}
