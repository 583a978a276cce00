using System.Diagnostics;
using System.Diagnostics.Metrics;
using Rex.Protos.Grains;
using Rex.Silo.Hosting;

namespace Rex.Gateway.Telemetry;

/// <summary>
/// What a gateway replica measures, under OpenTelemetry's GenAI names where they exist
/// (gen_ai.server.time_to_first_token, gen_ai.server.time_per_output_token, gen_ai.server.request.duration) and
/// `rex.*` otherwise. Cardinality stays bounded: model, operation, layer, expert and silo; never a request.
/// Scheduler, KV cache and capacity figures are observed from the engine's and dispatcher's counters when scraped.
/// </summary>
public sealed class GatewayMetrics : IDisposable
{
    readonly Meter meter = new(RexTelemetryExtensions.GatewayMeterName);
    readonly string model;
    readonly Histogram<double> timeToFirstToken;
    readonly Histogram<double> timePerOutputToken;
    readonly Histogram<double> requestDuration;
    readonly Counter<long> tokens;
    readonly Counter<long> rowsRouted;
    readonly Counter<long> dispatchBytes;
    readonly Histogram<double> dispatchRoundTrip;
    readonly Counter<long> refused;

    public GatewayMetrics(string model, Func<SchedulerSnapshot> scheduler, Func<DispatchCounterSnapshot> dispatch)
    {
        this.model = model;
        // Bucket boundaries as the GenAI semantic conventions advise them.
        timeToFirstToken = meter.CreateHistogram("gen_ai.server.time_to_first_token", "s", "Time from a request's arrival to its first token",
            advice: Buckets([0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]));
        timePerOutputToken = meter.CreateHistogram("gen_ai.server.time_per_output_token", "s", "Time per output token after the first",
            advice: Buckets([0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5]));
        requestDuration = meter.CreateHistogram("gen_ai.server.request.duration", "s", "Time from a request's arrival to its end",
            advice: Buckets([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]));
        tokens = meter.CreateCounter<long>("rex.tokens", "{token}", "Prompt tokens admitted and output tokens generated (gen_ai.token.type)");
        rowsRouted = meter.CreateCounter<long>("rex.expert.rows_routed", "{row}", "Rows the routers sent to each (layer, expert): the expert load");
        dispatchBytes = meter.CreateCounter<long>("rex.dispatch.bytes", "By", "Hidden-state bytes sent to and received from each expert silo");
        dispatchRoundTrip = meter.CreateHistogram("rex.dispatch.round_trip", "s", "Time from a data-plane message's send to its reply, per silo",
            advice: Buckets([0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1]));

        meter.CreateObservableGauge("rex.scheduler.running", () => scheduler().NumRunning, "{sequence}", "Sequences in the running batch");
        meter.CreateObservableGauge("rex.scheduler.waiting", () => scheduler().NumWaiting, "{request}", "Requests waiting for their first step");
        meter.CreateObservableGauge("rex.kv_cache.blocks_used", () => scheduler().NumUsedKvBlocks, "{block}", "KV cache blocks held by sequences");
        meter.CreateObservableGauge("rex.kv_cache.blocks_free", () => scheduler().NumKvBlocks - scheduler().NumUsedKvBlocks, "{block}",
            "KV cache blocks free (cached prefixes included)");
        meter.CreateObservableCounter("rex.prefix_cache.queried_tokens", () => scheduler().PrefixCacheQueriedTokens, "{token}", "Prompt tokens looked up in the prefix cache");
        meter.CreateObservableCounter("rex.prefix_cache.hit_tokens", () => scheduler().PrefixCacheHitTokens, "{token}", "Prompt tokens found in the prefix cache");
        meter.CreateObservableCounter("rex.scheduler.preemptions", () => scheduler().Preemptions, "{sequence}", "Sequences preempted for want of KV blocks");
        refused = meter.CreateCounter<long>("rex.requests.refused", "{request}",
            "Requests refused after waiting, by rex.reason: no_experts (none there within ExpertWaitTimeoutSeconds)");
        meter.CreateObservableCounter("rex.requests.rejected", () => scheduler().RejectedRequests, "{request}", "Requests refused because the queue was full");
        meter.CreateObservableCounter("rex.dispatch.rerouted_slots", () => dispatch().ReroutedSlots, "{slot}", "Expert slots over capacity sent to another replica");
        meter.CreateObservableCounter("rex.dispatch.deferred_slots", () => dispatch().DeferredSlots, "{slot}", "Expert slots over a limit sent in a later round");
        meter.CreateObservableCounter("rex.dispatch.dropped_slots", () => dispatch().DroppedSlots, "{slot}", "Expert slots skipped under the drop policy");
        meter.CreateObservableCounter("rex.dispatch.deadline_misses", () => dispatch().DeadlineMisses, "{message}",
            "Data-plane messages and probes not answered within the expert deadline");
        meter.CreateObservableCounter("rex.dispatch.resent_rows", () => dispatch().ResentRows, "{row}", "Rows sent again to another replica after a missed deadline");
        meter.CreateObservableCounter("rex.dispatch.unavailable_rows", () => dispatch().UnavailableRows, "{row}",
            "Rows whose expert had no replica on a silo that answers (their requests failed with UNAVAILABLE)");
        meter.CreateObservableGauge("rex.dispatch.suspect_silos", () => dispatch().SuspectSilos, "{silo}", "Expert silos that missed a deadline and have not answered since");
        meter.CreateObservableGauge("rex.dispatch.expert_deadline", () => dispatch().ExpertDeadlineMs / 1000, "s", "The data-plane deadline in force (set or derived)");
        meter.CreateObservableCounter("rex.rebalance.moves", () => dispatch().ExpertMoves, "{replica}", "Expert replicas the rebalancer moved to another silo");
    }

    static InstrumentAdvice<double> Buckets(double[] bounds) => new() { HistogramBucketBoundaries = bounds };

    /// <summary>The served model's name, as the gen_ai.request.model attribute carries it.</summary>
    public string Model => model;

    public bool IsRoutingMeasured => rowsRouted.Enabled;

    public void FirstToken(string operation, TimeSpan sinceArrival) => timeToFirstToken.Record(sinceArrival.TotalSeconds, Tags(operation));

    /// <summary>A request ended: its duration, and its time per output token after the first when it had several.</summary>
    public void Finished(string operation, TimeSpan duration, TimeSpan afterFirstToken, int outputTokens, string? error)
    {
        var tags = Tags(operation);
        if (error is not null) tags.Add("error.type", error);
        requestDuration.Record(duration.TotalSeconds, tags);
        if (error is null && outputTokens > 1) timePerOutputToken.Record(afterFirstToken.TotalSeconds / (outputTokens - 1), Tags(operation));
    }

    /// <summary>The <see cref="Refused"/> reason of a request that waited ExpertWaitTimeoutSeconds for experts that are not there.</summary>
    public const string NoExperts = "no_experts";

    public void Refused(string reason) => refused.Add(1, new TagList { { "gen_ai.request.model", model }, { "rex.reason", reason } });

    public void Tokens(string type, int count)
    {
        if (count > 0) tokens.Add(count, new TagList { { "gen_ai.request.model", model }, { "gen_ai.token.type", type } });
    }

    public void RowsRouted(int layer, int expert, int rows) => rowsRouted.Add(rows, new TagList { { "rex.layer", layer }, { "rex.expert", expert } });

    public void Dispatched(string silo, int sentBytes, int receivedBytes, TimeSpan roundTrip)
    {
        dispatchBytes.Add(sentBytes, new TagList { { "rex.silo", silo }, { "rex.direction", "sent" } });
        dispatchBytes.Add(receivedBytes, new TagList { { "rex.silo", silo }, { "rex.direction", "received" } });
        dispatchRoundTrip.Record(roundTrip.TotalSeconds, new TagList { { "rex.silo", silo } });
    }

    TagList Tags(string operation) => new() { { "gen_ai.request.model", model }, { "gen_ai.operation.name", operation } };

    public void Dispose() => meter.Dispose();
}
