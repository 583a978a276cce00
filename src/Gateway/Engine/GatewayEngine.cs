using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Rex.Gateway.Dispatch;
using Rex.Gateway.Hosting;
using Rex.Model;
using Rex.Model.Cache;
using Rex.Model.Checkpoint;
using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.Sampling;
using Rex.Model.Tensors;
using static TorchSharp.torch;

namespace Rex.Gateway.Engine;

/// <summary>
/// A model replica's engine. Its loop runs on the gateway device's own thread:
/// `scheduler.Schedule()` -> `RunStep(step)` -> finished requests complete. Callers only enqueue.
/// A step runs embedding, then for every layer and micro-batch the attention half on this device and the
/// expert half on the silos (dispatched while the next micro-batch's attention runs), then LM head and sampling.
/// </summary>
public sealed partial class GatewayEngine : IDisposable
{
    readonly ModelDirectory model;
    readonly ComputePlacement placement;
    readonly GatewayOptions options;
    readonly ExpertDirectory directory;
    readonly ExpertDispatcher dispatcher;
    readonly StepProfiler profiler;
    readonly ILogger logger;
    readonly BlockingCollection<EngineRequest> incoming = new();
    readonly CancellationTokenSource stopping = new();
    readonly TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly Thread thread;

    public GatewayEngine(ModelDirectory model, ComputePlacement placement, GatewayOptions options, ExpertDirectory directory,
        ExpertDispatcher dispatcher, StepProfiler profiler, ILogger logger)
    {
        this.model = model;
        this.placement = placement;
        this.options = options;
        this.directory = directory;
        this.dispatcher = dispatcher;
        this.profiler = profiler;
        this.logger = logger;
        MaxModelLen = options.MaxModelLen > 0 ? Math.Min(options.MaxModelLen, model.Config.MaxSeqLen) : model.Config.MaxSeqLen;
        thread = new Thread(Loop) { IsBackground = true, Name = "rex-gateway-engine" };
        thread.Start();
    }

    public int MaxModelLen { get; }

    /// <summary>Completes once the gateway's weights are on its device.</summary>
    public Task Loaded => loaded.Task;

    /// <summary>Validates and enqueues a request; the task completes when it finishes (or fails, or is cancelled).</summary>
    public Task<GenerationResult> Submit(GenerationRequest request, CancellationToken cancellation)
    {
        RequestValidator.Validate(request, model.Config, MaxModelLen, "prompt");
        if (request.PromptIds.Count > options.MaxNumBatchedTokens)
            throw new ArgumentException(
                $"prompt has {request.PromptIds.Count} tokens, more than MaxNumBatchedTokens ({options.MaxNumBatchedTokens})", "prompt");
        var sequence = new Sequence(request.PromptIds, request.Sampling, model.Generation.EosTokenIds, model.Tokenizer, MaxModelLen);
        var engineRequest = new EngineRequest(sequence, cancellation);
        incoming.Add(engineRequest, stopping.Token);
        return engineRequest.Result;
    }

    void Loop()
    {
        TorchThreads.ApplyToCurrentThread();
        using var inference = inference_mode();
        DbrxBackbone backbone;
        try
        {
            backbone = new DbrxBackbone(model.Config, new DbrxWeightReader(model.Checkpoint, model.Config, placement), placement);
            loaded.SetResult();
        }
        catch (Exception e)
        {
            loaded.SetException(e);
            return;
        }
        using (backbone)
        {
            var scheduler = new Scheduler(options.MaxNumSeqs, options.MaxNumBatchedTokens);
            ulong stepNumber = 0;
            try
            {
                while (!stopping.IsCancellationRequested)
                {
                    if (scheduler.IsIdle) scheduler.Add(incoming.Take(stopping.Token));
                    while (incoming.TryTake(out var more)) scheduler.Add(more);
                    if (!directory.Ready.Wait(TimeSpan.FromMilliseconds(200)))
                    {
                        Free(scheduler.RemoveCancelled());
                        continue;
                    }
                    var step = scheduler.Schedule();
                    Free(step.Cancelled);
                    if (!step.All.Any()) continue;
                    try
                    {
                        RunStep(backbone, step, ++stepNumber);
                    }
                    catch (Exception e)
                    {
                        LogStepFailed(stepNumber, e.Message);
                        foreach (var request in step.All) request.Fail(e);
                    }
                    foreach (var request in step.All.Where(r => r.Result.IsCompleted || r.Sequence.IsFinished))
                    {
                        if (!request.Result.IsCompleted) request.Complete();
                        scheduler.Retire(request);
                        Free([request]);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
            var abandoned = scheduler.TakeAll();
            foreach (var request in abandoned) request.Fail(Stopped());
            Free(abandoned);
        }
    }

    void RunStep(DbrxBackbone backbone, ScheduledStep step, ulong stepNumber)
    {
        var total = Stopwatch.StartNew();
        foreach (var request in step.Prefills) request.Cache = backbone.NewCache(request.Sequence.MaxLength);
        var work = step.Prefills.Select(r => (Request: r, Tokens: r.Sequence.PromptIds))
            .Concat(step.Decodes.Select(r => (Request: r, Tokens: (IReadOnlyList<int>)[r.Sequence.LastToken])))
            .ToArray();
        var microBatches = MicroBatches.Split(work, w => w.Tokens.Count, options.NumMicroBatches);

        using var scope = NewDisposeScope();
        var batches = microBatches.Select(mb => new ForwardBatch(mb.Select(w => new BatchSegment(w.Request.Cache!, w.Tokens.Count)).ToArray(), placement.Device)).ToArray();
        try
        {
            var hidden = microBatches.Select(mb => (Tensor?)backbone.Embed(Ids(mb.SelectMany(w => w.Tokens)))).ToArray();
            var residual = new Tensor?[microBatches.Count];
            var pending = new InFlightDispatch?[microBatches.Count];
            for (var layer = 0; layer < model.Config.NumLayers; layer++)
            {
                for (var mb = 0; mb < microBatches.Count; mb++)
                {
                    // A scope per layer and micro-batch: only the hidden state and residual outlive it, so a long
                    // prefill holds one layer's intermediates at a time, not the whole model's.
                    using var layerScope = NewDisposeScope();
                    if (pending[mb] is { } previous) Replace(ref hidden[mb], (residual[mb]! + previous.Complete()).MoveToOuterDisposeScope());
                    var attentionClock = Stopwatch.StartNew();
                    var attended = backbone.Blocks[layer].Forward(hidden[mb]!, batches[mb]);
                    profiler.Add(StepProfiler.Phase.Attention, attentionClock.ElapsedTicks);
                    Replace(ref residual[mb], attended.Residual.MoveToOuterDisposeScope());
                    pending[mb] = dispatcher.Start(stepNumber, layer, mb, attended.Normed, attended.Routing);
                }
            }
            var lastRows = new List<Tensor>();
            for (var mb = 0; mb < microBatches.Count; mb++)
            {
                var output = residual[mb]! + pending[mb]!.Complete();
                batches[mb].Commit();
                lastRows.Add(output.index_select(0, tensor(batches[mb].LastRows(), ScalarType.Int64, placement.Device)));
            }

            var samplingClock = Stopwatch.StartNew();
            var sequences = microBatches.SelectMany(mb => mb.Select(w => w.Request.Sequence)).ToArray();
            var logits = backbone.Logits(cat(lastRows, 0));
            var next = Sampler.Sample(logits, sequences.Select(s => s.Sampling).ToArray(), sequences.Select(s => s.Random).ToArray());
            for (var i = 0; i < sequences.Length; i++) sequences[i].Append(next[i]);
            profiler.Add(StepProfiler.Phase.Sampling, samplingClock.ElapsedTicks);
        }
        finally
        {
            foreach (var batch in batches) batch.Dispose();
        }
        profiler.Add(StepProfiler.Phase.Total, total.ElapsedTicks);
        profiler.CountStep();
    }

    // UNAVAILABLE, not CANCELLED: the client did nothing wrong and may retry on another gateway.
    static RpcException Stopped() => new(new Status(StatusCode.Unavailable, "the gateway engine stopped"));

    Tensor Ids(IEnumerable<int> ids) => tensor(ids.Select(i => (long)i).ToArray(), ScalarType.Int64, placement.Device);

    static void Replace(ref Tensor? held, Tensor next)
    {
        held?.Dispose();
        held = next;
    }

    static void Free(IEnumerable<EngineRequest> requests)
    {
        foreach (var request in requests)
        {
            request.Cache?.Dispose();
            request.Cache = null;
        }
    }

    public void Dispose()
    {
        stopping.Cancel();
        thread.Join();
        foreach (var request in incoming) request.Fail(Stopped());
        incoming.Dispose();
        stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Step {Step} failed: {Error}")]
    partial void LogStepFailed(ulong step, string error);
}
