using System.Diagnostics;
using System.Runtime.InteropServices;
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
/// only when retries or time run out, with UNAVAILABLE. A message not answered within the expert deadline (a
/// stalled silo: its stream stays open) marks its silo suspect and goes to other replicas of its experts; its late
/// reply is discarded. With no other replica it waits until its silo is out of routing, and then its rows are
/// <see cref="UnavailableRows"/>: only their requests fail. Once every round answered, the plan and the layer's
/// host rows go back to their pools for the next layer.
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
    readonly Task<(SiloMessagePlan Message, ExpertReply Reply)[]>? firstRound;
    readonly Activity? span;
    readonly string traceparent;
    readonly HashSet<int> unavailableRows = [];
    RpcException? unavailableError;

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
        foreach (var (row, expert) in plan.UnavailableSlots) MarkUnavailable([row], expert, null);
        if (plan.Rounds.Count > 0) firstRound = StartRound(plan.Rounds[0]);
    }

    /// <summary>After <see cref="Complete"/>: rows some expert of which no silo in routing answered; their sums lack it.</summary>
    public IReadOnlyCollection<int> UnavailableRows => unavailableRows;

    /// <summary>After <see cref="Complete"/>: UNAVAILABLE naming the first such expert, for the requests of <see cref="UnavailableRows"/>.</summary>
    public RpcException? UnavailableError => unavailableError;

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
            (SiloMessagePlan Message, ExpertReply Reply)[] replies;
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
            var slowestMicros = 0L;
            foreach (var (_, reply) in replies) slowestMicros = Math.Max(slowestMicros, reply.ComputeMicros);
            var computed = slowestMicros * Stopwatch.Frequency / 1_000_000;
            dispatcher.Profiler.Add(StepProfiler.Phase.ExpertWait, waited);
            dispatcher.Profiler.Add(StepProfiler.Phase.ExpertCompute, computed);
            dispatcher.Profiler.Add(StepProfiler.Phase.Network, Math.Max(0, waited - computed));

            var combineClock = Stopwatch.StartNew();
            foreach (var (message, reply) in replies)
            {
                // In process: the whole layer's rows, zero outside the message's, so adding it adds what index_add_ would.
                if (reply.InProcess is { } sum)
                {
                    using (sum) output.add_(sum);
                    continue;
                }
                using var partial = TensorBytes.FromBytes(reply.Wire!.Partial.Span, [message.Rows.Count, batch.HiddenSize], batch.DType, device);
                using var index = RowIndex(message.Rows);
                output.index_add_(0, index, partial, 1);
            }
            dispatcher.Profiler.Add(StepProfiler.Phase.Combine, combineClock.ElapsedTicks);
        }
        // Every send of every round has completed: nothing reads the plan or the rows any more. (On a failure above
        // they are left to the collector: a resend may still be running.)
        dispatcher.Planner.Release(plan);
        batch.Release();
        return output;
    }

    // A message's rows as an index into the layer's output: [rows] int64 on the output's device, written in place.
    Tensor RowIndex(List<int> messageRows)
    {
        var cpu = empty(messageRows.Count, ScalarType.Int64);
        var values = MemoryMarshal.Cast<byte, long>(cpu.bytes);
        for (var i = 0; i < messageRows.Count; i++) values[i] = messageRows[i];
        if (device.type == TorchSharp.DeviceType.CPU) return cpu;
        using (cpu) return cpu.to(device);
    }

    // On the engine thread: a round's messages serialized, then sent, each timed as its phase.
    Task<(SiloMessagePlan, ExpertReply)[]> StartRound(IReadOnlyList<SiloMessagePlan> messages)
    {
        var serializeClock = Stopwatch.StartNew();
        var requests = new ExpertBatch?[messages.Count];
        for (var i = 0; i < messages.Count; i++) requests[i] = Encode(messages[i]);
        dispatcher.Profiler.Add(StepProfiler.Phase.Serialize, serializeClock.ElapsedTicks);
        var sendClock = Stopwatch.StartNew();
        var pending = SendRound(messages, requests);
        dispatcher.Profiler.Add(StepProfiler.Phase.Dispatch, sendClock.ElapsedTicks);
        return pending;
    }

    // A message's wire form; null for the expert silo in this process, which reads the layer's rows where they are.
    ExpertBatch? Encode(SiloMessagePlan message) =>
        IsInProcess(message) ? null : ExpertBatchEncoder.Encode(batch, message, traceparent);

    bool IsInProcess(SiloMessagePlan message) => dispatcher.InProcess is { } local && message.DataPlane == local.DataPlane;

    async Task<(SiloMessagePlan, ExpertReply)[]> SendRound(IReadOnlyList<SiloMessagePlan> messages, ExpertBatch?[] requests)
    {
        var sends = new Task<(SiloMessagePlan, ExpertReply)[]>[messages.Count];
        for (var i = 0; i < messages.Count; i++) sends[i] = Send(messages[i], requests[i], 1);
        var replies = await Task.WhenAll(sends);
        // One reply per message unless a failure regrouped one into several.
        var numReplies = 0;
        foreach (var r in replies) numReplies += r.Length;
        if (numReplies == replies.Length)
        {
            var single = new (SiloMessagePlan, ExpertReply)[numReplies];
            for (var i = 0; i < replies.Length; i++) single[i] = replies[i][0];
            return single;
        }
        return [.. replies.SelectMany(r => r)];
    }

    // Sends one message (`request`, its wire form) and returns its reply; after a retryable failure, its slots
    // regrouped by where they can go now. A message planned for unplaced replicas (their last silo was lost) is not
    // sent: its slots wait for a placement.
    async Task<(SiloMessagePlan, ExpertReply)[]> Send(SiloMessagePlan message, ExpertBatch? request, int attempt)
    {
        var (reply, failure) = message.DataPlane.Length == 0
            ? (null, new Status(StatusCode.Unavailable, "no replica of its experts is placed"))
            : await TrySend(message, request);
        if (reply is not null) return [(message, reply)];
        if (failure.StatusCode == StatusCode.DeadlineExceeded) return await Resend(message, attempt);
        // A lost silo or a moved expert is worth another try; anything else is a bug on one side, not the client's.
        // A moved replica (NOT_FOUND from a live silo: a drain or a rebalance moves replicas one after another) is
        // followed for as long as the deadline allows; a silo that does not answer gets MaxAttempts.
        var retryable = failure.StatusCode is StatusCode.Unavailable or StatusCode.NotFound;
        if (!retryable || (failure.StatusCode == StatusCode.Unavailable && attempt >= MaxAttempts))
            throw new RpcException(new Status(retryable ? StatusCode.Unavailable : StatusCode.Internal, $"layer {batch.Layer}: {failure.Detail}"));
        if (message.DataPlane.Length > 0) dispatcher.Directory.MarkDown(message.DataPlane);
        // Each replica where the directory has it now: the table the plan used is older than this mark-down.
        var regrouped = await Regroup(message, async slice =>
            dispatcher.Directory.Routing.Route(slice.Route.Key) is { IsPlaced: true } placed ? placed : await LiveReplica(slice.Route.Key.Expert));
        return await SendAll(regrouped, attempt + 1);
    }

    // After a missed deadline: each slice to another replica of its expert, on another silo in routing. A slice with
    // none (TrySend resends such a message only once its silo is out) leaves its rows unavailable.
    async Task<(SiloMessagePlan, ExpertReply)[]> Resend(SiloMessagePlan missed, int attempt)
    {
        var resent = await Regroup(missed, slice =>
        {
            var route = Alternative(slice.Route.Key.Expert, missed.DataPlane);
            if (route is null) MarkUnavailable(slice.LocalRows.Select(local => missed.Rows[local]), slice.Route.Key.Expert, missed.DataPlane);
            return Task.FromResult(route);
        });
        dispatcher.Counters.CountResent(resent.Sum(m => m.Rows.Count));
        return await SendAll(resent, attempt);
    }

    async Task<(SiloMessagePlan, ExpertReply)[]> SendAll(IEnumerable<SiloMessagePlan> messages, int attempt) =>
        [.. (await Task.WhenAll(messages.Select(m => Send(m, Encode(m), attempt)))).SelectMany(r => r)];

    ReplicaRoute? Alternative(int expert, string stalled) =>
        dispatcher.Directory.Replicas(batch.Layer, expert).Where(r => r.DataPlane != stalled).MinBy(r => r.Outstanding);

    // A stalled message may be given up once each of its experts has a replica elsewhere, or its silo is out of routing.
    bool CanResend(SiloMessagePlan message) =>
        dispatcher.Health.IsOut(message.DataPlane) || message.Slices.All(s => Alternative(s.Route.Key.Expert, message.DataPlane) is not null);

    void MarkUnavailable(IEnumerable<int> rows, int expert, string? silo)
    {
        lock (unavailableRows)
        {
            var added = rows.Count(unavailableRows.Add);
            dispatcher.Counters.CountUnavailable(added);
            unavailableError ??= new RpcException(new Status(StatusCode.Unavailable,
                $"layer {batch.Layer}: expert {expert} has no replica on an expert silo that answers: {silo ?? "every silo holding one"} missed " +
                $"{dispatcher.Health.SuspectAfterMissedDeadlines} data-plane deadlines in a row (ExpertDeadlineMs: {dispatcher.Deadline.Current.TotalMilliseconds:F0} ms, " +
                $"SuspectAfterMissedDeadlines: {dispatcher.Health.SuspectAfterMissedDeadlines})"));
        }
    }

    // A reply, or why none: the silo's status, UNAVAILABLE (its stream broke), or DEADLINE_EXCEEDED (it missed the
    // expert deadline and the message may be resent; the wait for it is abandoned, so a late reply is discarded).
    // `request` null: the message goes to the expert silo in this process, no wire.
    async Task<(ExpertReply? Reply, Status Failure)> TrySend(SiloMessagePlan message, ExpertBatch? request)
    {
        for (var s = 0; s < message.Slices.Count; s++) message.Slices[s].Route.AddOutstanding(message.Slices[s].LocalRows.Count);
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
        Task<ExpertReply>? pending = null;
        ExpertReply? delivered = null;
        try
        {
            if (request is null) dispatcher.Counters.CountInProcessMessage(message.Rows.Count);
            else dispatcher.Counters.CountMessage(message.Rows.Count);
            var sent = Stopwatch.GetTimestamp();
            pending = request is null ? InProcess(message) : Wire(message.DataPlane, request, abandon.Token);
            ExpertReply reply;
            while (true)
            {
                try
                {
                    reply = await pending.WaitAsync(dispatcher.Deadline.Current, deadline.Token);
                    break;
                }
                catch (TimeoutException)
                {
                    dispatcher.MissedDeadline(message.DataPlane);
                    if (!CanResend(message)) continue;
                    await abandon.CancelAsync();
                    return (null, new Status(StatusCode.DeadlineExceeded, $"{message.DataPlane} missed the expert deadline"));
                }
            }
            var roundTrip = Stopwatch.GetElapsedTime(sent);
            dispatcher.Deadline.Record(roundTrip);
            dispatcher.Metrics.Dispatched(message.DataPlane, request?.Hidden.Length ?? 0, reply.Wire?.Partial.Length ?? 0, roundTrip);
            if (reply.Wire is not { } wire) return (delivered = reply, Status.DefaultSuccess);
            if (wire.StatusCode == (int)StatusCode.OK && wire.NumRows == message.Rows.Count) return (reply, Status.DefaultSuccess);
            return (null, wire.StatusCode == (int)StatusCode.OK
                ? new Status(StatusCode.Internal, $"{message.DataPlane} answered {wire.NumRows} rows for {message.Rows.Count}")
                : new Status((StatusCode)wire.StatusCode, $"{message.DataPlane}: {wire.StatusMessage}"));
        }
        catch (RpcException e)
        {
            return (null, e.Status);
        }
        finally
        {
            for (var s = 0; s < message.Slices.Count; s++) message.Slices[s].Route.AddOutstanding(-message.Slices[s].LocalRows.Count);
            if (request is not null)
            {
                // An abandoned send may still be writing the request: its rows go back to the pool once it is done.
                if (pending is null || pending.IsCompleted) ExpertBatchEncoder.Release(request);
                else _ = pending.ContinueWith(_ => ExpertBatchEncoder.Release(request), TaskScheduler.Default);
            }
            else if (delivered is null && pending is not null)
            {
                // An in-process sum that is not handed on (abandoned, or the step's time ran out) still lands: it is freed here.
                _ = pending.ContinueWith(done => done.Result.InProcess?.Dispose(), CancellationToken.None,
                    TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            }
        }
    }

    async Task<ExpertReply> Wire(string dataPlane, ExpertBatch request, CancellationToken cancellationToken) =>
        ExpertReply.FromWire(await dispatcher.Channels.For(dataPlane).Send(request, cancellationToken));

    // The in-process silo's failure, named by its silo as a data-plane reply's is.
    async Task<ExpertReply> InProcess(SiloMessagePlan message)
    {
        try
        {
            return await dispatcher.InProcess!.Run(batch, message);
        }
        catch (RpcException e)
        {
            throw new RpcException(new Status(e.StatusCode, $"{message.DataPlane}: {e.Status.Detail}"));
        }
    }

    // The same slots, each slice to the replica `routeOf` picks (none: the slice is left out).
    static async Task<IReadOnlyCollection<SiloMessagePlan>> Regroup(SiloMessagePlan failed, Func<SlicePlan, Task<ReplicaRoute?>> routeOf)
    {
        var messages = new Dictionary<string, SiloMessagePlan>();
        foreach (var slice in failed.Slices)
        {
            if (await routeOf(slice) is not { } route) continue;
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
