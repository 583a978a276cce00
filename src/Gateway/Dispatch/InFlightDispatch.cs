using System.Diagnostics;
using Grpc.Core;
using Rex.Gateway.Engine;
using Rex.Model.Tensors;
using Rex.Protos.DataPlane;
using Rex.Protos.Grains;
using Rex.Silo.DataPlane;
using Rex.Silo.Telemetry;
using static TorchSharp.torch;

namespace Rex.Gateway.Dispatch;

/// <summary>
/// One layer's dispatch for one micro-batch, from the first round's messages going out to the combined
/// expert output. A message that fails (lost silo, moved expert) is retried after the directory is re-read,
/// each slot sent to where its replica lives now, or to another live replica of its expert; the step fails
/// only when retries or time run out, with UNAVAILABLE.
/// </summary>
public sealed class InFlightDispatch
{
    const int MaxAttempts = 3;
    static readonly TimeSpan ReactivationPoll = TimeSpan.FromMilliseconds(250);

    readonly ExpertDispatcher dispatcher;
    readonly LayerBatch batch;
    readonly DispatchPlan plan;
    readonly Device device;
    readonly int rows;
    readonly CancellationTokenSource deadline;
    readonly Task<(SiloMessagePlan Message, ExpertPartial Reply)[]>? firstRound;
    readonly Activity? span;
    readonly string traceparent;

    /// <summary>On the engine thread: serializes and sends the first round's messages.</summary>
    internal InFlightDispatch(ExpertDispatcher dispatcher, LayerBatch batch, DispatchPlan plan, Device device, int rows, Activity? span)
    {
        this.span = span;
        traceparent = RexTracing.TraceParent(span);
        this.dispatcher = dispatcher;
        this.batch = batch;
        this.plan = plan;
        this.device = device;
        this.rows = rows;
        deadline = new CancellationTokenSource(dispatcher.Timeout);
        if (plan.Rounds.Count > 0) firstRound = StartRound(plan.Rounds[0]);
    }

    /// <summary>On the engine thread: waits for every round and returns the weighted expert sum of every row, [rows, d_model].</summary>
    public Tensor Complete()
    {
        using var _ = deadline;
        using var __ = span;
        var output = zeros([rows, batch.HiddenSize], batch.DType, device);
        for (var round = 0; round < plan.Rounds.Count; round++)
        {
            var pending = round == 0 ? firstRound! : StartRound(plan.Rounds[round]);
            var waitClock = Stopwatch.StartNew();
            (SiloMessagePlan Message, ExpertPartial Reply)[] replies;
            try
            {
                replies = pending.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                throw new RpcException(new Status(StatusCode.Unavailable,
                    $"layer {batch.Layer}: the expert silos did not answer within DispatchTimeoutSeconds ({dispatcher.Timeout.TotalSeconds:F0} s)"));
            }
            var waited = waitClock.ElapsedTicks;
            var computed = replies.Max(r => r.Reply.ComputeMicros) * Stopwatch.Frequency / 1_000_000;
            dispatcher.Profiler.Add(StepProfiler.Phase.ExpertWait, waited);
            dispatcher.Profiler.Add(StepProfiler.Phase.ExpertCompute, computed);
            dispatcher.Profiler.Add(StepProfiler.Phase.Network, Math.Max(0, waited - computed));

            var combineClock = Stopwatch.StartNew();
            foreach (var (message, reply) in replies)
            {
                using var partial = TensorBytes.FromBytes(reply.Partial.Span, [message.Rows.Count, batch.HiddenSize], batch.DType, device);
                using var index = tensor(message.Rows.Select(r => (long)r).ToArray(), ScalarType.Int64, device);
                output.index_add_(0, index, partial, 1);
            }
            dispatcher.Profiler.Add(StepProfiler.Phase.Combine, combineClock.ElapsedTicks);
        }
        return output;
    }

    // On the engine thread: a round's messages serialized, then sent, each timed as its phase.
    Task<(SiloMessagePlan, ExpertPartial)[]> StartRound(IReadOnlyList<SiloMessagePlan> messages)
    {
        var serializeClock = Stopwatch.StartNew();
        var requests = ExpertBatchEncoder.Encode(batch, messages, traceparent);
        dispatcher.Profiler.Add(StepProfiler.Phase.Serialize, serializeClock.ElapsedTicks);
        var sendClock = Stopwatch.StartNew();
        var pending = SendRound(messages, requests);
        dispatcher.Profiler.Add(StepProfiler.Phase.Dispatch, sendClock.ElapsedTicks);
        return pending;
    }

    async Task<(SiloMessagePlan, ExpertPartial)[]> SendRound(IReadOnlyList<SiloMessagePlan> messages, ExpertBatch[] requests) =>
        [.. (await Task.WhenAll(messages.Select((m, i) => Send(m, requests[i], 1)))).SelectMany(replies => replies)];

    // Sends one message (`request`, its wire form) and returns its reply; after a retryable failure, its slots
    // regrouped by where they can go now. A message planned for unplaced replicas (their last silo was lost) is not
    // sent: its slots wait for a placement.
    async Task<(SiloMessagePlan, ExpertPartial)[]> Send(SiloMessagePlan message, ExpertBatch request, int attempt)
    {
        var (reply, failure) = message.DataPlane.Length == 0
            ? (null, new Status(StatusCode.Unavailable, "no replica of its experts is placed"))
            : await TrySend(message, request);
        if (reply is not null) return [(message, reply)];
        // A lost silo or a moved expert is worth another try; anything else is a bug on one side, not the client's.
        // A moved replica (NOT_FOUND from a live silo: a drain or a rebalance moves replicas one after another) is
        // followed for as long as the deadline allows; a silo that does not answer gets MaxAttempts.
        var retryable = failure.StatusCode is StatusCode.Unavailable or StatusCode.NotFound;
        if (!retryable || (failure.StatusCode == StatusCode.Unavailable && attempt >= MaxAttempts))
            throw new RpcException(new Status(retryable ? StatusCode.Unavailable : StatusCode.Internal, $"layer {batch.Layer}: {failure.Detail}"));
        if (message.DataPlane.Length > 0) dispatcher.Directory.MarkDown(message.DataPlane);
        var retried = await Task.WhenAll((await Regroup(message)).Select(m => Send(m, ExpertBatchEncoder.Encode(batch, m, traceparent), attempt + 1)));
        return [.. retried.SelectMany(r => r)];
    }

    async Task<(ExpertPartial? Reply, Status Failure)> TrySend(SiloMessagePlan message, ExpertBatch request)
    {
        foreach (var slice in message.Slices) slice.Route.AddOutstanding(slice.LocalRows.Count);
        try
        {
            dispatcher.Counters.CountMessage(message.Rows.Count);
            var sent = Stopwatch.GetTimestamp();
            var reply = await dispatcher.Channels.For(message.DataPlane).Send(request, deadline.Token);
            dispatcher.Metrics.Dispatched(message.DataPlane, request.Hidden.Length, reply.Partial.Length, Stopwatch.GetElapsedTime(sent));
            if (reply.StatusCode == (int)StatusCode.OK && reply.NumRows == message.Rows.Count) return (reply, Status.DefaultSuccess);
            return (null, reply.StatusCode == (int)StatusCode.OK
                ? new Status(StatusCode.Internal, $"{message.DataPlane} answered {reply.NumRows} rows for {message.Rows.Count}")
                : new Status((StatusCode)reply.StatusCode, $"{message.DataPlane}: {reply.StatusMessage}"));
        }
        catch (RpcException e)
        {
            return (null, e.Status);
        }
        finally
        {
            foreach (var slice in message.Slices) slice.Route.AddOutstanding(-slice.LocalRows.Count);
        }
    }

    // The same slots, each to its replica's current silo, or to another live replica of the same expert.
    async Task<IEnumerable<SiloMessagePlan>> Regroup(SiloMessagePlan failed)
    {
        var messages = new Dictionary<string, SiloMessagePlan>();
        foreach (var slice in failed.Slices)
        {
            var route = slice.Route.DataPlane.Length > 0 ? slice.Route : await LiveReplica(slice.Route.Key.Expert);
            if (!messages.TryGetValue(route.DataPlane, out var message))
                messages[route.DataPlane] = message = new SiloMessagePlan(route.DataPlane);
            for (var i = 0; i < slice.LocalRows.Count; i++) message.Add(route, failed.Rows[slice.LocalRows[i]], slice.Weights[i]);
        }
        return messages.Values;
    }

    // A replica of the expert on a live silo. When its silo was the last, the step waits, within the layer's
    // deadline, for Orleans to declare that silo dead and reactivate the expert elsewhere (the refresh describes,
    // and so activates, every replica); past the deadline Complete() reports UNAVAILABLE. While the directory is not
    // serving (no expert silo left, or a whole layer unplaced), it waits at most ExpertWaitTimeoutSeconds, as a new
    // request would.
    async Task<ReplicaRoute> LiveReplica(int expert)
    {
        var waiting = Stopwatch.GetTimestamp();
        while (true)
        {
            if (dispatcher.Directory.Replicas(batch.Layer, expert).MinBy(r => r.Outstanding) is { } route) return route;
            if (!dispatcher.Directory.IsServing && Stopwatch.GetElapsedTime(waiting) >= dispatcher.ExpertWaitTimeout)
                throw new NoExpertsException($"layer {batch.Layer}: no experts to finish this step after ExpertWaitTimeoutSeconds " +
                    $"({dispatcher.ExpertWaitTimeout.TotalSeconds} s): {dispatcher.Directory.DescribeMissing()}");
            await Task.Delay(ReactivationPoll, deadline.Token);
            await dispatcher.Directory.TryRefresh(deadline.Token);
        }
    }
}
