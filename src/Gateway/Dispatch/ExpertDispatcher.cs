using System.Diagnostics;
using Rex.Gateway.Engine;
using Rex.Gateway.Telemetry;
using Rex.Model.Layers;
using Rex.Model.Tensors;
using Rex.Silo.Telemetry;
using static TorchSharp.torch;

namespace Rex.Gateway.Dispatch;

/// <summary>
/// Sends one layer's rows to the silos hosting their chosen experts and adds the partial sums that come back.
/// <see cref="Start"/> runs on the engine thread: the routing's copy to the host and the plan, one device-to-host
/// copy of the rows, then the first round's messages are serialized from it and go out;
/// <see cref="InFlightDispatch.Complete"/> later collects the answers, so the engine can compute another
/// micro-batch's attention in between. Every message waits at most the <see cref="ExpertDeadline"/> for its silo;
/// a silo that misses it becomes suspect (<see cref="SiloHealth"/>) and is probed until it answers.
/// </summary>
public sealed class ExpertDispatcher(
    ExpertDirectory directory, SiloChannelPool channels, DispatchPlanner planner, DispatchCounters counters, StepProfiler profiler,
    GatewayMetrics metrics, string model, int numExperts, ScalarType dtype, TimeSpan timeout, TimeSpan expertWaitTimeout, ExpertDeadline deadline,
    SiloHealth health, SiloProber prober)
{
    // normed: [rows, d_model] on the gateway device; routing: [rows, top_k] experts and weights.
    // trace: the step's span when this step is traced (default otherwise): the layer's dispatch span goes under it.
    public InFlightDispatch Start(ulong step, int layer, int microBatch, Tensor normed, RoutingDecision routing, ActivityContext trace)
    {
        var planClock = Stopwatch.StartNew();
        var rows = (int)normed.shape[0];
        var topK = (int)routing.Experts.shape[1];
        using var expertsCpu = routing.Experts.to(ScalarType.Int64, CPU).contiguous();
        using var weightsCpu = routing.Weights.to(ScalarType.Float32, CPU).contiguous();
        var plan = planner.Plan(rows, topK, expertsCpu.data<long>().ToArray(), weightsCpu.data<float>().ToArray(), numExperts,
            expert => directory.Routable(layer, expert));
        counters.Count(plan);
        if (metrics.IsRoutingMeasured) CountRoutedRows(layer, plan);
        var span = trace == default ? null
            : RexTracing.StartDetached(RexTracing.Gateway, $"rex.dispatch layer {layer}", ActivityKind.Client, trace);
        span?.SetTag("rex.layer", layer);
        span?.SetTag("rex.micro_batch", microBatch);
        span?.SetTag("rex.rows", rows);
        span?.SetTag("rex.silos", plan.Rounds.SelectMany(r => r).Select(m => m.DataPlane).Distinct().ToArray());
        profiler.Add(StepProfiler.Phase.Dispatch, planClock.ElapsedTicks);

        var serializeClock = Stopwatch.StartNew();
        var batch = new LayerBatch(model, step, layer, microBatch, (int)normed.shape[1], dtype, TensorBytes.ToBytes(normed, dtype));
        profiler.Add(StepProfiler.Phase.Serialize, serializeClock.ElapsedTicks);
        return new InFlightDispatch(this, batch, plan, normed.device, rows, span);
    }

    void CountRoutedRows(int layer, DispatchPlan plan)
    {
        foreach (var round in plan.Rounds)
            foreach (var message in round)
                foreach (var slice in message.Slices)
                    metrics.RowsRouted(layer, slice.Route.Key.Expert, slice.LocalRows.Count);
    }

    internal SiloChannelPool Channels => channels;
    internal GatewayMetrics Metrics => metrics;
    internal DispatchCounters Counters => counters;
    internal StepProfiler Profiler => profiler;
    internal ExpertDirectory Directory => directory;
    internal TimeSpan Timeout => timeout;
    internal TimeSpan ExpertWaitTimeout => expertWaitTimeout;

    internal ExpertDeadline Deadline => deadline;
    internal SiloHealth Health => health;

    internal void MissedDeadline(string dataPlane)
    {
        if (health.Missed(dataPlane)) prober.Watch(dataPlane);
    }
}

/// <summary>The header and host copy of one layer's rows for one micro-batch, shared by its messages.</summary>
/// <param name="Hidden">[rows, hidden_size] values of `DType`, little-endian.</param>
public sealed record LayerBatch(string Model, ulong Step, int Layer, int MicroBatch, int HiddenSize, ScalarType DType, byte[] Hidden);
