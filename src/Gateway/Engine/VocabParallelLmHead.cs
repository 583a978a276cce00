using Rex.Model.Engine;
using Rex.Model.Tensors;
using Rex.Silo.Devices;
using static TorchSharp.torch;

namespace Rex.Gateway.Engine;

/// <summary>
/// The LM head of a CPU gateway, split by vocabulary over several threads, and the sampling after it, split by rows.
/// Reading the [vocab, d_model] weight is most of a decode step's work on the gateway (a 100k vocabulary at width 64:
/// 26 MB per step, against the attention's few kB), and the engine thread alone cannot use the machine's other cores:
/// its libtorch threads are set low so the processes sharing the machine do not spin against each other (<see
/// cref="TorchThreads"/>). Each thread writes its slice's logits into its own columns of one tensor, with the same
/// product the unsplit head computes, so the logits are the same.
/// </summary>
public sealed class VocabParallelLmHead : IDisposable
{
    readonly Backbone backbone;
    readonly (long Start, Tensor Weight)[] slices; // Weight: [slice's vocab, d_model], a view of the LM head
    readonly DeviceExecutor[] helpers;             // slice i > 0 runs on helpers[i - 1], slice 0 on the caller's thread

    /// <param name="threads">
    /// Threads computing the head, the caller's included (LmHeadThreads): 1 leaves it unsplit, 0 divides the cores by
    /// TorchThreads. A GPU computes the whole head in one kernel, so on a GPU it is never split.
    /// </param>
    public VocabParallelLmHead(Backbone backbone, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        this.backbone = backbone;
        if (backbone.Placement.Device.type != TorchSharp.DeviceType.CPU) threads = 1;
        else if (threads == 0) threads = Math.Max(1, Environment.ProcessorCount / Math.Max(1, TorchThreads.Configured));
        var vocab = backbone.LmHead.shape[0];
        threads = (int)Math.Min(threads, vocab);
        slices = Enumerable.Range(0, threads).Select(i =>
        {
            var start = vocab * i / threads;
            return (start, backbone.LmHead.narrow(0, start, vocab * (i + 1) / threads - start));
        }).ToArray();
        helpers = Enumerable.Range(1, threads - 1)
            .Select(i => new DeviceExecutor(new DeviceSpec($"lm-head-{i}", backbone.Placement.Device))).ToArray();
    }

    /// <summary>
    /// hidden: [rows, d_model] (last block's output) -> logits [rows, vocab] float32, and each row's argmax when the
    /// slices found it on their threads (the first of equal maxima, as torch's argmax picks; null when unsplit).
    /// </summary>
    public (Tensor Logits, long[]? Argmax) Logits(Tensor hidden)
    {
        if (helpers.Length == 0) return (backbone.Logits(hidden), null);
        var normed = backbone.FinalNorm(hidden);
        var rows = normed.shape[0];
        var logits = empty([rows, backbone.LmHead.shape[0]], normed.dtype, normed.device);
        var others = helpers.Select((helper, i) => helper.Run(() => Fill(logits, normed, slices[i + 1]))).ToArray();
        SliceMax first;
        try
        {
            first = Fill(logits, normed, slices[0]);
        }
        finally
        {
            // The helpers write into `logits`: it must outlive them even when this thread's slice failed.
            Task.WaitAll(others);
        }
        var best = first;
        foreach (var other in others)
        {
            var slice = other.Result;
            for (var row = 0; row < rows; row++)
                if (IsGreater(slice.Values[row], best.Values[row]))
                {
                    best.Values[row] = slice.Values[row];
                    best.Indices[row] = slice.Indices[row];
                }
        }
        return (logits.to(ScalarType.Float32), best.Indices);
    }

    /// <summary>
    /// Each row's next token, as <see cref="SequenceSampler.SampleNext"/> picks it, with the rows split over the same
    /// threads: rows sample independently, and temperature, top-k, top-p, penalties and logprobs each read a row's
    /// whole vocabulary (measured at concurrency 32, temperature 1: 9 ms of a 21 ms step on one thread). A step whose
    /// rows are all greedy, without penalties, logit bias or logprobs, only takes the argmax, so it stays on the caller's thread.
    /// logits: [rows, vocab] float32; argmax: as <see cref="Logits"/> returned it.
    /// </summary>
    public void SampleNext(Tensor logits, IReadOnlyList<Sequence> sequences, long[]? argmax)
    {
        var parts = Math.Min(helpers.Length + 1, sequences.Count);
        if (parts <= 1 || sequences.All(s => s.Sampling is { IsGreedy: true, HasPenalties: false, HasLogitBias: false, Logprobs: null }))
        {
            SequenceSampler.SampleNext(logits, sequences, argmax);
            return;
        }
        // The row ranges' views are made here, in the step's dispose scope, which outlives the helpers' work.
        var ranges = Enumerable.Range(0, parts).Select(i =>
        {
            var start = sequences.Count * i / parts;
            var count = sequences.Count * (i + 1) / parts - start;
            return (Logits: logits.narrow(0, start, count), Sequences: sequences.Skip(start).Take(count).ToArray(), Argmax: argmax?[start..(start + count)]);
        }).ToArray();
        var others = ranges.Skip(1).Select((range, i) => helpers[i].Run(() => SequenceSampler.SampleNext(range.Logits, range.Sequences, range.Argmax))).ToArray();
        try
        {
            SequenceSampler.SampleNext(ranges[0].Logits, ranges[0].Sequences, ranges[0].Argmax);
        }
        finally
        {
            Task.WaitAll(others);
        }
    }

    /// <summary>Each row's largest logit within one slice and its vocabulary index.</summary>
    readonly record struct SliceMax(float[] Values, long[] Indices);

    // Slices are merged in vocabulary order, so a later one wins only when strictly greater: ties keep the first
    // index. NaN counts as the largest value, as in torch's argmax.
    static bool IsGreater(float candidate, float best) => float.IsNaN(candidate) ? !float.IsNaN(best) : candidate > best;

    // logits[:, start : start + slice] = normed @ weight^T: [rows, d_model] x [d_model, slice], written in place by the
    // product the unsplit head uses (SkinnyGemm on this thread alone, where it applies: its every logit is the same
    // whatever the columns around it); then the slice's max per row.
    static SliceMax Fill(Tensor logits, Tensor normed, (long Start, Tensor Weight) slice)
    {
        using var scope = NewDisposeScope();
        var columns = logits.narrow(1, slice.Start, slice.Weight.shape[0]);
        if (SkinnyGemm.Applies(normed, slice.Weight)) SkinnyGemm.Into(normed, slice.Weight, columns, threads: 1);
        else columns.addmm_(normed, slice.Weight.t(), beta: 0, alpha: 1);
        var (values, indices) = columns.max(1);
        return new SliceMax(values.to(ScalarType.Float32).data<float>().ToArray(),
            (indices + slice.Start).data<long>().ToArray());
    }

    public void Dispose()
    {
        foreach (var helper in helpers) helper.Dispose();
        foreach (var (_, weight) in slices) weight.Dispose();
    }
}
