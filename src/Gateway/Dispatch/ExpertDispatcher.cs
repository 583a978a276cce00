using System.Diagnostics;
using System.Runtime.InteropServices;
using Rex.Gateway.Engine;
using Rex.Gateway.Telemetry;
using Rex.Model.Layers;
using Rex.Silo.Telemetry;
using static TorchSharp.torch;

namespace Rex.Gateway.Dispatch;

/// <summary>
/// Sends one layer's rows to the silos hosting their chosen experts and adds the partial sums that come back.
/// <see cref="Start"/> runs on the engine thread: the routing's copy to the host and the plan, one device-to-host
/// copy of the rows, then the first round's messages are serialized from it and go out;
/// <see cref="InFlightDispatch.Complete"/> later collects the answers, so the engine can compute another
/// micro-batch's attention in between. Every message waits at most the <see cref="ExpertDeadline"/> for its silo;
/// a silo that misses it becomes suspect (<see cref="SiloHealth"/>) and is probed until it answers. A layer is planned
/// against one <see cref="RoutingTable"/>, taken once, however the directory changes meanwhile.
/// </summary>
public sealed class ExpertDispatcher(
    ExpertDirectory directory, SiloChannelPool channels, DispatchPlanner planner, DispatchCounters counters, StepProfiler profiler,
    GatewayMetrics metrics, string model, int numExperts, ScalarType dtype, TimeSpan timeout, TimeSpan expertWaitTimeout, ExpertDeadline deadline,
    SiloHealth health, SiloProber prober, InProcessExperts? inProcess = null)
{
    // normed: [rows, d_model] on the gateway device; routing: [rows, top_k] experts and weights.
    // trace: the step's span when this step is traced (default otherwise): the layer's dispatch span goes under it.
    public InFlightDispatch Start(ulong step, int layer, int microBatch, Tensor normed, RoutingDecision routing, ActivityContext trace)
    {
        var planClock = Stopwatch.StartNew();
        var rows = (int)normed.size(0);
        var topK = (int)routing.Experts.size(1);
        using var expertsCpu = routing.Experts.to(ScalarType.Int64, CPU).contiguous();
        using var weightsCpu = routing.Weights.to(ScalarType.Float32, CPU).contiguous();
        var plan = planner.Plan(rows, topK, MemoryMarshal.Cast<byte, long>(expertsCpu.bytes), MemoryMarshal.Cast<byte, float>(weightsCpu.bytes),
            numExperts, directory.RoutesOf(layer));
        counters.Count(plan);
        if (metrics.IsRoutingMeasured) CountRoutedRows(layer, plan);
        var span = trace == default ? null
            : RexTracing.StartDetached(RexTracing.Gateway, $"rex.dispatch layer {layer}", ActivityKind.Client, trace);
        span?.SetTag("rex.layer", layer);
        span?.SetTag("rex.micro_batch", microBatch);
        span?.SetTag("rex.rows", rows);
        span?.SetTag("rex.silos", plan.Rounds.SelectMany(r => r).Select(m => m.DataPlane).Distinct().ToArray());
        profiler.Add(StepProfiler.Phase.Dispatch, planClock.ElapsedTicks);

        var batch = new LayerBatch(model, step, layer, microBatch, dtype, normed);
        return new InFlightDispatch(this, batch, plan, normed.device, rows, span);
    }

    void CountRoutedRows(int layer, DispatchPlan plan)
    {
        // Indexed, not foreach: enumerating through the read-only interfaces would allocate an enumerator per list.
        for (var r = 0; r < plan.Rounds.Count; r++)
        {
            var round = plan.Rounds[r];
            for (var m = 0; m < round.Count; m++)
            {
                var slices = round[m].Slices;
                for (var s = 0; s < slices.Count; s++) metrics.RowsRouted(layer, slices[s].Route.Key.Expert, slices[s].LocalRows.Count);
            }
        }
    }

    internal DispatchPlanner Planner => planner;

    internal SiloChannelPool Channels => channels;
    internal GatewayMetrics Metrics => metrics;
    internal DispatchCounters Counters => counters;
    internal StepProfiler Profiler => profiler;
    internal ExpertDirectory Directory => directory;
    internal TimeSpan Timeout => timeout;
    internal TimeSpan ExpertWaitTimeout => expertWaitTimeout;

    internal ExpertDeadline Deadline => deadline;

    /// <summary>The expert silo in this process, whose messages skip the wire; null: every message goes over gRPC.</summary>
    internal InProcessExperts? InProcess => inProcess;
    internal SiloHealth Health => health;

    internal void MissedDeadline(string dataPlane)
    {
        if (health.Missed(dataPlane)) prober.Watch(dataPlane);
    }
}
