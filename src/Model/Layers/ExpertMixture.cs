using Rex.Model.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Rex.Model.Layers;

/// <summary>
/// The weighted sum of experts' outputs over the rows routed to them: what the local engine computes for a whole
/// layer and what an expert silo computes for the experts it hosts. The rows of all experts are gathered in one
/// copy, each expert writes its range of one output, and the weighted outputs are added to their rows in one
/// scatter: a handful of TorchSharp calls per expert instead of a dozen, which on a CPU with a small model is most
/// of an expert's cost. On a CPU with several kernel threads (<see cref="TorchThreads.KernelThreads"/>), at least as
/// many experts and enough work to share, the experts are shared
/// out among the threads, each running its experts whole on one thread, rather than every expert's every product
/// split across all threads: one hand-off per layer instead of two per expert (dbrx-mid at batch 4 on the 2-core
/// VM: 40 experts a step, each 0.5 ms where its products alone took 0.25 ms; measured alone, the two ways were level
/// within noise at 1 to 16 rows).
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
        var numPairs = 0;
        var active = 0;
        foreach (var (_, count) in experts)
        {
            numPairs += count;
            if (count > 0) active++;
        }
        if (rows.size(0) != numPairs || weights.size(0) != numPairs)
            throw new ArgumentException($"{numPairs} pairs for the experts, but {rows.size(0)} rows and {weights.size(0)} weights");
        var output = zeros(hidden.size(0), hidden.size(1), ScalarType.Float32, hidden.device);
        if (numPairs == 0) return output;
        using var scope = NewDisposeScope();
        var inputs = hidden.index_select(0, rows);   // [pairs, d_model]
        var outputs = empty_like(inputs);
        var threads = hidden.device_type == DeviceType.CPU ? TorchThreads.KernelThreads : 1;
        if (threads > 1 && active >= threads && MultiplyAdds(experts) >= SkinnyGemm.ParallelThreshold) ExpertsPerThread(experts, inputs, outputs, threads);
        else
        {
            var start = 0;
            foreach (var (expert, count) in experts)
            {
                if (count > 0) expert.ForwardInto(inputs.narrow(0, start, count), outputs.narrow(0, start, count));
                start += count;
            }
        }
        output.index_add_(0, rows, outputs.to(ScalarType.Float32).mul_(weights.to(ScalarType.Float32).unsqueeze(1)), 1);
        return output;
    }

    // Thread t runs, one thread each, the experts whose share of the work starts in its t-th of the whole; an expert
    // costs its weights' read plus its rows' products, weighed here as one unit plus its rows over 8.
    // inputs, outputs: [pairs, d_model]
    static void ExpertsPerThread(IReadOnlyList<(ExpertGlu Expert, int Count)> experts, Tensor inputs, Tensor outputs, int threads)
    {
        var firstPair = new int[experts.Count];
        var owner = new int[experts.Count];
        var total = 0.0;
        for (var i = 0; i < experts.Count; i++) total += Cost(experts[i].Count);
        var before = 0.0;
        for (int i = 0, pair = 0; i < experts.Count; i++)
        {
            firstPair[i] = pair;
            owner[i] = Math.Min(threads - 1, (int)(threads * before / total));
            before += Cost(experts[i].Count);
            pair += experts[i].Count;
        }
        var inference = is_inference_mode_enabled();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            // Inference mode and the intra-op thread count are the calling thread's own: set them on whichever thread
            // runs this share, and give that thread back as it was.
            using var mode = inference ? inference_mode() : null;
            using var scope = NewDisposeScope();
            var previousThreads = get_num_threads();
            set_num_threads(1);
            try
            {
                for (var i = 0; i < experts.Count; i++)
                {
                    var (expert, count) = experts[i];
                    if (owner[i] == t && count > 0)
                        expert.ForwardInto(inputs.narrow(0, firstPair[i], count), outputs.narrow(0, firstPair[i], count), threads: 1);
                }
            }
            finally
            {
                set_num_threads(previousThreads);
            }
        });
    }

    static long MultiplyAdds(IReadOnlyList<(ExpertGlu Expert, int Count)> experts)
    {
        var total = 0L;
        foreach (var (expert, count) in experts) total += count * expert.MultiplyAddsPerRow;
        return total;
    }

    static double Cost(int rows) => rows == 0 ? 0 : 1 + rows / 8.0;
}
