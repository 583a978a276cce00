using System.Diagnostics;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Grpc.Core;
using Rex.Model.Checkpoint;
using Rex.Model.Layers;
using Rex.Model.Tensors;
using Rex.Protos.DataPlane;
using Rex.Protos.Grains;
using Rex.Silo.Devices;
using Rex.Silo.Experts;
using Rex.Silo.Telemetry;
using static TorchSharp.torch;

namespace Rex.Silo.DataPlane;

/// <summary>
/// Runs one data-plane batch on this silo: validates it against its header and the model, runs each slice on
/// the device of the expert replica that owns it, and returns one weighted partial sum per row. Never throws:
/// a bad batch or a missing expert comes back as a status in the reply.
/// </summary>
public sealed class ExpertBatchRunner(ExpertRegistry registry, ModelCatalog catalog)
{
    // The silo as metrics and spans name it: its data-plane address, known before any batch can arrive.
    string SiloName => registry.DataPlaneAddress.IsCompleted ? registry.DataPlaneAddress.Result : "";

    public async Task<ExpertPartial> Run(ExpertBatch batch)
    {
        // A gateway's probe of a silo it suspects: that the answer comes back is all it asks.
        if (IsProbe(batch)) return Reply(batch, StatusCode.OK, "");
        var clock = Stopwatch.StartNew();
        // A child of the gateway's dispatch span for this layer, when the gateway traces this step.
        using var span = batch.Traceparent.Length == 0 ? null
            : RexTracing.StartDetached(RexTracing.Silo, $"rex.experts layer {batch.Layer}", ActivityKind.Server, RexTracing.ParseTraceParent(batch.Traceparent));
        try
        {
            var work = Plan(batch).ToArray();
            if (span is not null) Describe(span, batch, work);
            var reply = Reply(batch, StatusCode.OK, "");
            reply.Partial = UnsafeByteOperations.UnsafeWrap(await Partial(batch, work));
            reply.ComputeMicros = clock.Elapsed.Ticks / TimeSpan.TicksPerMicrosecond;
            return reply;
        }
        catch (Exception e)
        {
            span?.SetStatus(ActivityStatusCode.Error, e.Message);
            var status = StatusOf(e);
            return Reply(batch, status.StatusCode, status.Detail);
        }
    }

    // How a batch that failed is answered: a malformed one INVALID_ARGUMENT, a replica not hosted here NOT_FOUND,
    // anything else INTERNAL with the exception's type.
    static Status StatusOf(Exception e) => e switch
    {
        ArgumentException => new Status(StatusCode.InvalidArgument, e.Message),
        KeyNotFoundException => new Status(StatusCode.NotFound, e.Message),
        _ => new Status(StatusCode.Internal, $"{e.GetType().Name}: {e.Message}"),
    };

    // A batch without rows or slices: it asks only whether the silo answers.
    static bool IsProbe(ExpertBatch batch) => batch.NumRows == 0 && batch.Slices.Count == 0;

    /// <summary>
    /// For a gateway in this process: one message's rows as a tensor on the gateway's device, never serialized.
    /// hidden: [rows, d_model] of <paramref name="dtype"/>, read, not kept; each slice's rows index it. Returns
    /// [rows, d_model] of <paramref name="dtype"/> on hidden's device: each row's weighted sum of the experts here that
    /// serve it (zero for the others), the values the data plane's reply would carry. The experts run on their
    /// executors, as a data-plane batch's do; an executor on another device gets the rows by a device-to-device copy.
    /// A failure throws an RpcException with the status the data plane would answer (a replica not hosted here
    /// NOT_FOUND, a malformed message INVALID_ARGUMENT, anything else INTERNAL).
    /// </summary>
    public async Task<Tensor> RunInProcess(string model, int layer, Tensor hidden, IReadOnlyList<ExpertSlice> slices, ScalarType dtype)
    {
        try
        {
            return await PartialInProcess(Plan(model, layer, (int)hidden.size(1), (int)hidden.size(0), slices).ToArray(), layer, hidden, dtype);
        }
        catch (Exception e)
        {
            throw new RpcException(StatusOf(e));
        }
    }

    // As Partial, in tensors: one device's sum already in `dtype`; several devices' float32 sums added, then converted.
    async Task<Tensor> PartialInProcess(IGrouping<DeviceExecutor, (ExpertSlice Slice, HostedExpert Expert)>[] work, int layer, Tensor hidden,
        ScalarType dtype)
    {
        if (work.Length == 1) return await work[0].Key.Run(() => ComputeInProcess(hidden, layer, work[0].ToArray(), dtype));
        var partials = await Task.WhenAll(work.Select(group => group.Key.Run(() => ComputeInProcess(hidden, layer, group.ToArray(), ScalarType.Float32))));
        // The sums are inference tensors, and this thread (whichever the await resumed on) is not in inference mode by itself.
        using var inference = inference_mode();
        for (var i = 1; i < partials.Length; i++)
            using (partials[i])
                partials[0].add_(partials[i]);
        // Out of whatever dispose scope is current on this thread: one was (the engine step's, it seems), and freed the sum before it was added.
        using (partials[0]) return partials[0].to(dtype, copy: true).DetachFromDisposeScope();
    }

    // Checks the batch and groups its slices by the executor of the replica that runs them.
    IEnumerable<IGrouping<DeviceExecutor, (ExpertSlice Slice, HostedExpert Expert)>> Plan(ExpertBatch batch)
    {
        CheckLayer(batch.Model, batch.Layer, batch.HiddenSize);
        if (batch.NumRows <= 0) throw new ArgumentException($"num_rows must be positive, got {batch.NumRows}");
        var expectedBytes = (long)batch.NumRows * batch.HiddenSize * WireDType.ElementSize(batch.Dtype);
        WireDType.ToScalarType(batch.Dtype);
        if (batch.Hidden.Length != expectedBytes)
            throw new ArgumentException($"hidden holds {batch.Hidden.Length} bytes; num_rows {batch.NumRows} x hidden_size {batch.HiddenSize} of {batch.Dtype} needs {expectedBytes}");
        return Work(batch.Model, batch.Layer, batch.NumRows, batch.Slices);
    }

    // An in-process message: the same checks, its rows already a tensor.
    IEnumerable<IGrouping<DeviceExecutor, (ExpertSlice Slice, HostedExpert Expert)>> Plan(
        string model, int layer, int hiddenSize, int numRows, IReadOnlyList<ExpertSlice> slices)
    {
        CheckLayer(model, layer, hiddenSize);
        return Work(model, layer, numRows, slices);
    }

    void CheckLayer(string model, int layer, int hiddenSize)
    {
        var config = catalog.Get(model).Config;
        if (layer < 0 || layer >= config.NumLayers)
            throw new ArgumentException($"layer {layer} is outside [0, {config.NumLayers})");
        if (!config.IsMoeLayer(layer)) throw new ArgumentException($"layer {layer} is a dense layer: it has no experts");
        if (hiddenSize != config.HiddenSize)
            throw new ArgumentException($"hidden_size {hiddenSize} is not the model's hidden size {config.HiddenSize}");
    }

    // Checks each slice's rows and weights and finds its replica here.
    IEnumerable<IGrouping<DeviceExecutor, (ExpertSlice Slice, HostedExpert Expert)>> Work(
        string model, int layer, int numRows, IReadOnlyList<ExpertSlice> slices)
    {
        if (slices.Count == 0) throw new ArgumentException("slices must not be empty");

        var work = new List<(ExpertSlice, HostedExpert)>();
        foreach (var slice in slices)
        {
            if (slice.Rows.Count == 0 || slice.Rows.Count != slice.Weights.Count)
                throw new ArgumentException($"expert {slice.Expert}: {slice.Rows.Count} rows with {slice.Weights.Count} weights");
            foreach (var row in slice.Rows)
                if (row < 0 || row >= numRows)
                    throw new ArgumentException($"expert {slice.Expert}: row {row} is outside [0, {numRows})");
            var key = new ExpertGrainKey(model, layer, slice.Expert, slice.Replica);
            if (!registry.TryGet(key, out var expert)) throw new KeyNotFoundException($"expert {key} is not hosted on this silo");
            work.Add((slice, expert));
        }
        return work.GroupBy(w => w.Item2.Executor);
    }

    // The batch's weighted partial sum in its wire dtype. One device's sum leaves it already in that dtype (converted
    // where it was computed, a GPU included); several devices' float32 sums add up on the host.
    async Task<byte[]> Partial(ExpertBatch batch, IGrouping<DeviceExecutor, (ExpertSlice Slice, HostedExpert Expert)>[] work)
    {
        var wire = WireDType.ToScalarType(batch.Dtype);
        if (work.Length == 1) return await work[0].Key.Run(() => Compute(batch, work[0].ToArray(), wire));
        var partials = await Task.WhenAll(work.Select(group => group.Key.Run(() => Compute(batch, group.ToArray(), ScalarType.Float32))));
        Span<float> sum = MemoryMarshal.Cast<byte, float>(partials[0].AsSpan());
        for (var i = 1; i < partials.Length; i++)
        {
            var partial = MemoryMarshal.Cast<byte, float>(partials[i]);
            for (var j = 0; j < sum.Length; j++) sum[j] += partial[j];
        }
        return Encode(sum, batch);
    }

    // On the device's thread: the batch's rows from its bytes, their sum as bytes of `dtype` on the host.
    byte[] Compute(ExpertBatch batch, (ExpertSlice Slice, HostedExpert Expert)[] work, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var device = work[0].Expert.Executor.Device;
        var hidden = TensorBytes.FromBytes(batch.Hidden.Span, [batch.NumRows, batch.HiddenSize], WireDType.ToScalarType(batch.Dtype), device);
        return TensorBytes.ToBytes(Sum(hidden, batch.Layer, work), dtype);
    }

    // On the device's thread: a gateway's rows in this process, their sum in `dtype` back on the rows' device (owned by the caller).
    Tensor ComputeInProcess(Tensor hidden, int layer, (ExpertSlice Slice, HostedExpert Expert)[] work, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var sum = Sum(hidden.to(work[0].Expert.Executor.Device), layer, work);
        return sum.to(dtype, hidden.device).DetachFromDisposeScope();
    }

    // hidden [rows, d_model] on the executor's device -> sum over slices of weight * expert(rows), accumulated in
    // float32, [rows, d_model]. The slices' rows and weights reach the device in one copy each.
    Tensor Sum(Tensor hidden, int layer, (ExpertSlice Slice, HostedExpert Expert)[] work)
    {
        var device = work[0].Expert.Executor.Device;
        var allRows = tensor(work.SelectMany(w => w.Slice.Rows).Select(r => (long)r).ToArray(), ScalarType.Int64, device);
        var allWeights = tensor(work.SelectMany(w => w.Slice.Weights).ToArray(), ScalarType.Float32, device);
        var output = ExpertMixture.WeightedSum(hidden.to(catalog.DType), work.Select(w => (w.Expert.Glu, w.Slice.Rows.Count)).ToArray(), allRows, allWeights);
        foreach (var (slice, expert) in work)
        {
            expert.CountRows(slice.Rows.Count);
            SiloMetrics.CountRows(SiloName, layer, slice.Expert, slice.Rows.Count);
        }
        return output;
    }

    void Describe(Activity span, ExpertBatch batch, IGrouping<DeviceExecutor, (ExpertSlice Slice, HostedExpert Expert)>[] work)
    {
        span.SetTag("rex.silo", SiloName);
        span.SetTag("rex.layer", batch.Layer);
        span.SetTag("rex.step", (long)batch.Step);
        span.SetTag("rex.micro_batch", batch.MicroBatch);
        span.SetTag("rex.experts", batch.Slices.Select(s => s.Expert).ToArray());
        span.SetTag("rex.devices", work.Select(g => g.Key.Spec.Name).ToArray());
        span.SetTag("rex.rows", batch.NumRows);
        span.SetTag("rex.bytes", batch.Hidden.Length);
    }

    // On the gRPC thread, so without tensors: the float32 sum in the batch's wire dtype.
    static byte[] Encode(ReadOnlySpan<float> partial, ExpertBatch batch) => batch.Dtype switch
    {
        TensorDType.Float32 => SafetensorsWriter.ToFloat32(partial),
        TensorDType.Bfloat16 => SafetensorsWriter.ToBFloat16(partial),
        _ => SafetensorsWriter.ToFloat16(partial),
    };

    static ExpertPartial Reply(ExpertBatch batch, StatusCode code, string message) => new()
    {
        RequestId = batch.RequestId,
        StatusCode = (int)code,
        StatusMessage = message,
        NumRows = code == StatusCode.OK ? batch.NumRows : 0,
        HiddenSize = batch.HiddenSize,
        Dtype = batch.Dtype,
    };
}
