using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Rex.Gateway.Cache;
using Rex.Gateway.Dispatch;
using Rex.Gateway.Hosting;
using Rex.Gateway.Telemetry;
using Rex.Model;
using Rex.Model.Cache;
using Rex.Model.Checkpoint;
using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.Tensors;
using Rex.Protos.Grains;
using Rex.Silo.Devices;
using Rex.Silo.Telemetry;
using static TorchSharp.torch;

namespace Rex.Gateway.Engine;

/// <summary>
/// A model replica's engine. Its loop runs on the gateway device's own thread:
/// `scheduler.Schedule()` -> `RunStep(step)` -> `scheduler.Advance(step)`, then finished requests complete and
/// streaming ones get their new tokens. Callers only enqueue. A step runs embedding, then for every layer and
/// micro-batch the attention half on this device (over the paged KV cache) and the routed experts on the silos
/// (dispatched while the shared expert and the next micro-batch's attention run here; a dense layer's MLP runs here
/// too), then LM head and sampling.
/// </summary>
public sealed partial class GatewayEngine : IDisposable
{
    static readonly TimeSpan ExpertPoll = TimeSpan.FromMilliseconds(100);

    readonly ModelDirectory model;
    readonly ComputePlacement placement;
    readonly GatewayOptions options;
    readonly ExpertDirectory directory;
    readonly ExpertDispatcher dispatcher;
    readonly StepProfiler profiler;
    readonly GatewayMetrics metrics;
    readonly ILogger logger;
    readonly AdmissionQueue admission;
    readonly BlockingCollection<EngineRequest> incoming = new();
    readonly CancellationTokenSource stopping = new();
    readonly TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly Thread thread;
    long expertsMissingSince; // a Stopwatch timestamp; 0 while the experts are there
    volatile SchedulerSnapshot status = new(0, 0, 0, 0, 0, 0, 0, 0, 0);

    public GatewayEngine(ModelDirectory model, ComputePlacement placement, GatewayOptions options, ExpertDirectory directory,
        ExpertDispatcher dispatcher, StepProfiler profiler, GatewayMetrics metrics, ILogger logger)
    {
        this.metrics = metrics;
        this.model = model;
        this.placement = placement;
        this.options = options;
        this.directory = directory;
        this.dispatcher = dispatcher;
        this.profiler = profiler;
        this.logger = logger;
        admission = new AdmissionQueue(options.MaxQueuedRequests);
        MaxModelLen = options.EffectiveMaxModelLen(model.Config.MaxPositionEmbeddings);
        thread = new Thread(Loop) { IsBackground = true, Name = "rex-gateway-engine" };
        thread.Start();
    }

    public int MaxModelLen { get; }

    /// <summary>KV cache blocks, known once <see cref="Loaded"/> completes.</summary>
    public int NumKvBlocks { get; private set; }

    /// <summary>Completes once the gateway's weights are on its device and its KV cache is allocated.</summary>
    public Task Loaded => loaded.Task;

    /// <summary>The scheduler and KV cache as of the last step.</summary>
    public SchedulerSnapshot Status => status with { RejectedRequests = admission.NumRejected };

    /// <summary>
    /// Validates and enqueues a request. Its <see cref="EngineRequest.Result"/> completes when it finishes (or fails,
    /// or is cancelled); a streaming request also delivers its tokens as they come.
    /// </summary>
    /// <param name="operation">What the caller asked for (<see cref="GenAiOperations"/>), as the request's span and metrics name it.</param>
    /// <param name="trace">The caller's span (the API call), parent of the request's span; default: none.</param>
    public EngineRequest Submit(GenerationRequest request, CancellationToken cancellation, bool stream, string operation, ActivityContext trace)
    {
        RequestValidator.Validate(request, model.Config, MaxModelLen, "prompt");
        RequestValidator.ValidateTotalLength(request, MaxModelLen, "prompt");
        var neededBlocks = (request.PromptIds.Count + request.Sampling.MaxTokens + options.KvBlockSize - 1) / options.KvBlockSize;
        if (neededBlocks > NumKvBlocks)
            throw new ArgumentException(
                $"max_tokens: prompt ({request.PromptIds.Count}) plus max_tokens ({request.Sampling.MaxTokens}) needs {neededBlocks} KV blocks; the cache has {NumKvBlocks}",
                "max_tokens");
        if (!admission.TryEnter())
            throw new QueueFullException($"the gateway's queue is full: MaxQueuedRequests ({options.MaxQueuedRequests}) requests are waiting");
        var sequence = new Sequence(request.PromptIds, request.Sampling, model.Generation.EosTokenIds, model.Tokenizer, MaxModelLen);
        var telemetry = new RequestTelemetry(metrics, metrics.Model, operation, request.PromptIds.Count, request.Sampling, trace);
        var engineRequest = new EngineRequest(sequence, cancellation, stream, admission, telemetry);
        try
        {
            incoming.Add(engineRequest, stopping.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
        {
            engineRequest.Fail(Stopped());
        }
        return engineRequest;
    }

    void Loop()
    {
        TorchThreads.ApplyToCurrentThread();
        using var inference = inference_mode();
        Backbone? backbone = null;
        PagedKvPool pool;
        try
        {
            backbone = new Backbone(model.Config, new WeightReader(model.Weights, model.Config, placement), placement);
            pool = NewKvPool();
            NumKvBlocks = pool.NumBlocks;
            loaded.SetResult();
        }
        catch (Exception e)
        {
            // The grain is activated again after a failed load: a GPU must not keep the weights of every attempt.
            backbone?.Dispose();
            loaded.SetException(e);
            return;
        }
        using (backbone)
        using (pool)
        using (var lmHead = new VocabParallelLmHead(backbone, options.LmHeadThreads))
        {
            var blocks = new BlockManager(pool.NumBlocks, pool.BlockSize, options.EnablePrefixCaching);
            var scheduler = new Scheduler(options.MaxNumSeqs, options.MaxNumBatchedTokens, blocks);
            Publish(scheduler, blocks);
            ulong stepNumber = 0;
            try
            {
                while (!stopping.IsCancellationRequested)
                {
                    if (scheduler.IsIdle) scheduler.Add(incoming.Take(stopping.Token));
                    while (incoming.TryTake(out var more)) scheduler.Add(more);
                    if (!directory.IsServing)
                    {
                        WaitForExperts(scheduler, blocks);
                        continue;
                    }
                    expertsMissingSince = 0;
                    var step = scheduler.Schedule();
                    if (step.Work.Count > 0) Run(backbone, lmHead, pool, scheduler, step, ++stepNumber);
                    Publish(scheduler, blocks);
                }
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
            foreach (var request in scheduler.TakeAll()) request.Fail(Stopped());
        }
    }

    // While no step can reach its experts, requests wait (counted as waiting) at most ExpertWaitTimeoutSeconds, from
    // their arrival or the experts' loss, whichever is later; then they are refused. The directory is polled: it
    // changes on membership changes and refreshes, far less often than this.
    void WaitForExperts(Scheduler scheduler, BlockManager blocks)
    {
        var now = Stopwatch.GetTimestamp();
        if (expertsMissingSince == 0) expertsMissingSince = now;
        scheduler.RemoveCancelled();
        var bound = TimeSpan.FromSeconds(options.ExpertWaitTimeoutSeconds);
        var refused = scheduler.Remove(r => Stopwatch.GetElapsedTime(Math.Max(r.Arrival, expertsMissingSince), now) >= bound);
        if (refused.Count > 0)
        {
            var missing = directory.DescribeMissing();
            foreach (var request in refused)
                Refuse(request, new NoExpertsException(
                    $"no experts to serve this request after ExpertWaitTimeoutSeconds ({options.ExpertWaitTimeoutSeconds} s): {missing}"));
        }
        Publish(scheduler, blocks);
        stopping.Token.WaitHandle.WaitOne(ExpertPoll);
    }

    void Refuse(EngineRequest request, NoExpertsException error)
    {
        metrics.Refused(GatewayMetrics.NoExperts);
        request.Fail(error);
    }

    // One step and its aftermath: a failed step fails its requests, never the engine; rows no expert silo could
    // answer fail only their own requests, and the others advance.
    void Run(Backbone backbone, VocabParallelLmHead lmHead, PagedKvPool pool, Scheduler scheduler, ScheduledStep step, ulong stepNumber)
    {
        using var span = StepSpan(step, stepNumber);
        IReadOnlyDictionary<ScheduledWork, RpcException> unavailable;
        try
        {
            unavailable = RunStep(backbone, lmHead, pool, step, stepNumber, span?.Context ?? default);
        }
        catch (Exception e)
        {
            span?.SetStatus(ActivityStatusCode.Error, e.Message);
            LogStepFailed(stepNumber, e.Message);
            foreach (var work in step.Work)
            {
                // The step found a layer with no expert left (its last silo lost): the request is refused as at admission.
                if (e is NoExpertsException noExperts) Refuse(work.Request, noExperts);
                else work.Request.Fail(e);
                scheduler.Retire(work.Request);
            }
            return;
        }
        foreach (var (work, error) in unavailable)
        {
            work.Request.Fail(error);
            scheduler.Retire(work.Request);
        }
        if (unavailable.Count > 0)
        {
            LogRequestsUnavailable(stepNumber, unavailable.Count, unavailable.Values.First().Status.Detail);
            step = step with { Work = [.. step.Work.Where(w => !unavailable.ContainsKey(w))] };
        }
        scheduler.Advance(step);
        foreach (var work in step.Work)
        {
            work.Request.Telemetry?.Progress(work.Request.Sequence);
            if (work.Request.Sequence.IsFinished)
            {
                work.Request.Complete();
                scheduler.Retire(work.Request);
            }
            else
            {
                work.Request.Deliver();
            }
        }
    }

    /// <summary>
    /// A span for steps that prefill and for every `TraceStepInterval`-th decode step, under the span of the
    /// oldest request in the step (linked to the others': a batched step serves many requests, a span has one parent).
    /// </summary>
    Activity? StepSpan(ScheduledStep step, ulong stepNumber)
    {
        if (!RexTracing.Gateway.HasListeners()) return null;
        var spans = step.Work.Select(w => w.Request.Telemetry?.Span).OfType<Activity>().ToArray();
        if (spans.Length == 0) return null;
        var numPrefillTokens = step.Work.Where(w => w.IsPrefill).Sum(w => w.NumNewTokens);
        if (numPrefillTokens == 0 && (options.TraceStepInterval == 0 || stepNumber % (ulong)options.TraceStepInterval != 0)) return null;
        var span = RexTracing.StartDetached(RexTracing.Gateway, numPrefillTokens > 0 ? "rex.step prefill" : "rex.step decode",
            ActivityKind.Internal, spans[0].Context, spans.Skip(1).Select(s => new ActivityLink(s.Context)));
        span?.SetTag("rex.step", (long)stepNumber);
        span?.SetTag("rex.step.num_sequences", step.Work.Count);
        span?.SetTag("rex.step.num_tokens", step.Work.Sum(w => w.NumNewTokens));
        span?.SetTag("rex.step.num_prefill_tokens", numPrefillTokens);
        return span;
    }

    // What the step must read at least: its rows as a decode batch of that many, at their mean context.
    double StepBytes(ScheduledStep step)
    {
        var (rows, context) = (0, 0L);
        foreach (var work in step.Work)
        {
            rows += work.NumNewTokens;
            context += work.Request.NumComputedTokens + work.NumNewTokens;
        }
        return rows == 0 ? 0 : DecodeRoofline.StepBytes(model.Config, rows, (double)context / step.Work.Count, placement.ElementBytes);
    }

    /// <returns>The work whose rows some expert no silo in routing answered for, with the error to fail it with.</returns>
    IReadOnlyDictionary<ScheduledWork, RpcException> RunStep(Backbone backbone, VocabParallelLmHead lmHead, PagedKvPool pool, ScheduledStep step,
        ulong stepNumber, ActivityContext trace)
    {
        var total = Stopwatch.StartNew();
        var microBatches = MicroBatches.Split(step.Work, w => w.NumNewTokens, options.NumMicroBatches);
        // Which sequences reach their last token (and so are sampled) is decided before the step changes anything.
        var sampled = microBatches.Select(mb => mb.Select(w => w.IsSampled).ToArray()).ToArray();
        var unavailable = new Dictionary<ScheduledWork, RpcException>();

        using var scope = NewDisposeScope();
        var views = microBatches.Select(mb => mb.Select(w => pool.View(w.Request.BlockTable, w.Request.NumComputedTokens, w.NumNewTokens)).ToArray()).ToArray();
        var batches = microBatches.Select((mb, m) => new ForwardBatch(mb.Select((w, i) => new BatchSegment(views[m][i], w.NumNewTokens)).ToArray(), placement.Device)).ToArray();
        try
        {
            var hidden = microBatches.Select(mb => (Tensor?)backbone.Embed(Ids(mb.SelectMany(NewTokens)))).ToArray();
            var residual = new Tensor?[microBatches.Count];
            var pending = new InFlightDispatch?[microBatches.Count];
            for (var layer = 0; layer < model.Config.NumLayers; layer++)
            {
                for (var mb = 0; mb < microBatches.Count; mb++)
                {
                    // A scope per layer and micro-batch: only the hidden state and residual outlive it, so a long
                    // prefill holds one layer's intermediates at a time, not the whole model's.
                    using var layerScope = NewDisposeScope();
                    if (pending[mb] is { } previous) Replace(ref hidden[mb], (residual[mb]! + Complete(previous, microBatches[mb], unavailable)).MoveToOuterDisposeScope());
                    pending[mb] = null;
                    var decoderLayer = backbone.Layers[layer];
                    var attentionClock = Stopwatch.StartNew();
                    var attended = decoderLayer.Forward(hidden[mb]!, batches[mb]);
                    profiler.Add(StepProfiler.Phase.Attention, attentionClock.ElapsedTicks);
                    if (decoderLayer.IsMoe)
                    {
                        var routerClock = Stopwatch.StartNew();
                        var routing = decoderLayer.Route(attended.Normed);
                        profiler.Add(StepProfiler.Phase.Router, routerClock.ElapsedTicks);
                        pending[mb] = dispatcher.Start(stepNumber, layer, mb, attended.Normed, routing, trace);
                    }
                    // The shared expert (or a dense layer's MLP) runs here while the routed experts' rows are away.
                    var localClock = Stopwatch.StartNew();
                    var local = decoderLayer.LocalFeedForward(attended.Normed);
                    var residualNow = local is null ? attended.Residual : attended.Residual + local;
                    profiler.Add(StepProfiler.Phase.LocalFeedForward, localClock.ElapsedTicks);
                    if (pending[mb] is null) Replace(ref hidden[mb], residualNow.MoveToOuterDisposeScope());
                    else Replace(ref residual[mb], residualNow.MoveToOuterDisposeScope());
                }
            }
            var lastRows = new List<Tensor>();
            var sequences = new List<Sequence>();
            for (var mb = 0; mb < microBatches.Count; mb++)
            {
                var output = pending[mb] is { } last ? residual[mb]! + Complete(last, microBatches[mb], unavailable) : hidden[mb]!;
                batches[mb].Commit();
                // A request whose rows lack an expert's sum is failed, never sampled from.
                var isSampled = microBatches[mb].Select((w, i) => sampled[mb][i] && !unavailable.ContainsKey(w)).ToArray();
                var rows = batches[mb].LastRows().Where((_, i) => isSampled[i]).ToArray();
                if (rows.Length == 0) continue;
                lastRows.Add(output.index_select(0, tensor(rows, ScalarType.Int64, placement.Device)));
                sequences.AddRange(microBatches[mb].Where((_, i) => isSampled[i]).Select(w => w.Request.Sequence));
            }

            var samplingClock = Stopwatch.StartNew();
            if (sequences.Count > 0)
            {
                var (logits, argmax) = lmHead.Logits(cat(lastRows, 0));
                lmHead.SampleNext(logits, sequences, argmax);
            }
            profiler.Add(StepProfiler.Phase.Sampling, samplingClock.ElapsedTicks);
        }
        finally
        {
            foreach (var batch in batches) batch.Dispose();
            foreach (var view in views.SelectMany(v => v)) view.Dispose();
        }
        profiler.Add(StepProfiler.Phase.Total, total.ElapsedTicks);
        profiler.CountStep(StepBytes(step));
        return unavailable;
    }

    // A layer's expert sums, [rows, d_model]; the work owning any row no silo answered for goes into `unavailable`.
    static Tensor Complete(InFlightDispatch dispatch, IReadOnlyList<ScheduledWork> microBatch, Dictionary<ScheduledWork, RpcException> unavailable)
    {
        var output = dispatch.Complete();
        if (dispatch.UnavailableRows.Count == 0) return output;
        var owners = microBatch.SelectMany(w => Enumerable.Repeat(w, w.NumNewTokens)).ToArray();
        foreach (var row in dispatch.UnavailableRows) unavailable.TryAdd(owners[row], dispatch.UnavailableError!);
        return output;
    }

    static IEnumerable<int> NewTokens(ScheduledWork work)
    {
        var sequence = work.Request.Sequence;
        for (var p = work.Request.NumComputedTokens; p < work.Request.NumComputedTokens + work.NumNewTokens; p++) yield return sequence.TokenAt(p);
    }

    PagedKvPool NewKvPool()
    {
        var config = model.Config;
        var (kvHeads, headDim) = (config.Attention.NumKvHeads, config.Attention.HeadDim);
        var bytesPerBlock = PagedKvPool.BytesPerBlock(config.NumLayers, kvHeads, headDim, options.KvBlockSize, placement.DType);
        var budget = KvCacheBudget.Bytes(DeviceSpec.Parse(options.GatewayDevice), options.KvCacheBytes, options.GpuMemoryUtilization);
        var numBlocks = budget / bytesPerBlock;
        var oneSequence = (MaxModelLen + options.KvBlockSize - 1) / options.KvBlockSize;
        if (numBlocks < oneSequence)
            throw new InvalidOperationException(
                $"the KV cache budget ({budget} bytes) holds {numBlocks} blocks of {options.KvBlockSize} tokens ({bytesPerBlock} bytes each); " +
                $"one sequence of MaxModelLen ({MaxModelLen}) needs {oneSequence}: raise KvCacheBytes (or GpuMemoryUtilization) or lower MaxModelLen");
        return new PagedKvPool(config.NumLayers, kvHeads, headDim, (int)Math.Min(numBlocks, int.MaxValue / options.KvBlockSize),
            options.KvBlockSize, placement.DType, placement.Device);
    }

    void Publish(Scheduler scheduler, BlockManager blocks) =>
        status = new SchedulerSnapshot(scheduler.NumRunning, scheduler.NumWaiting + incoming.Count, blocks.BlockSize, blocks.NumBlocks,
            blocks.NumUsedBlocks, blocks.PrefixCacheQueriedTokens, blocks.PrefixCacheHitTokens, scheduler.NumPreemptions, admission.NumRejected);

    // UNAVAILABLE, not CANCELLED: the client did nothing wrong and may retry on another gateway.
    static RpcException Stopped() => new(new Status(StatusCode.Unavailable, "the gateway engine stopped"));

    Tensor Ids(IEnumerable<int> ids) => tensor(ids.Select(i => (long)i).ToArray(), ScalarType.Int64, placement.Device);

    static void Replace(ref Tensor? held, Tensor next)
    {
        held?.Dispose();
        held = next;
    }

    public void Dispose()
    {
        stopping.Cancel();
        thread.Join();
        incoming.CompleteAdding();
        foreach (var request in incoming) request.Fail(Stopped());
        incoming.Dispose();
        stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Step {Step} failed: {Error}")]
    partial void LogStepFailed(ulong step, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Step {Step}: {Requests} requests failed, the rest went on: {Error}")]
    partial void LogRequestsUnavailable(ulong step, int requests, string error);
}
