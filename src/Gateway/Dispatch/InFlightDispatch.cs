using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Rex.Gateway.Engine;
using Rex.Model.Tensors;
using Rex.Protos.DataPlane;
using Rex.Silo.DataPlane;
using static TorchSharp.torch;

namespace Rex.Gateway.Dispatch;

/// <summary>
/// One layer's dispatch for one micro-batch, from the first round's messages going out to the combined
/// expert output. A message that fails (lost silo, moved expert) is retried after the directory is re-read,
/// regrouped by where its replicas live now; the step fails only when retries run out or time does.
/// </summary>
public sealed class InFlightDispatch
{
    const int MaxAttempts = 3;

    readonly ExpertDispatcher dispatcher;
    readonly LayerBatch batch;
    readonly DispatchPlan plan;
    readonly Device device;
    readonly int rows;
    readonly CancellationTokenSource deadline;
    Task<(SiloMessagePlan Message, ExpertPartial Reply)[]>? firstRound;

    internal InFlightDispatch(ExpertDispatcher dispatcher, LayerBatch batch, DispatchPlan plan, Device device, int rows)
    {
        this.dispatcher = dispatcher;
        this.batch = batch;
        this.plan = plan;
        this.device = device;
        this.rows = rows;
        deadline = new CancellationTokenSource(dispatcher.Timeout);
        if (plan.Rounds.Count > 0) firstRound = SendRound(plan.Rounds[0]);
    }

    /// <summary>On the engine thread: waits for every round and returns the weighted expert sum of every row, [rows, d_model].</summary>
    public Tensor Complete()
    {
        using var _ = deadline;
        var output = zeros([rows, batch.HiddenSize], batch.DType, device);
        for (var round = 0; round < plan.Rounds.Count; round++)
        {
            var waitClock = Stopwatch.StartNew();
            var pending = round == 0 ? firstRound! : SendRound(plan.Rounds[round]);
            (SiloMessagePlan Message, ExpertPartial Reply)[] replies;
            try
            {
                replies = pending.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                throw new RpcException(new Status(StatusCode.DeadlineExceeded,
                    $"layer {batch.Layer}: experts did not answer within {dispatcher.Timeout.TotalSeconds:F0} s"));
            }
            dispatcher.Profiler.Add(StepProfiler.Phase.ExpertWait, waitClock.ElapsedTicks);
            dispatcher.Profiler.AddSeconds(StepProfiler.Phase.ExpertCompute, replies.Max(r => r.Reply.ComputeMicros) / 1e6);

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

    Task<(SiloMessagePlan, ExpertPartial)[]> SendRound(IReadOnlyList<SiloMessagePlan> messages) =>
        Task.WhenAll(messages.Select(m => Send(m, 1)).ToArray()).ContinueWith(t => t.GetAwaiter().GetResult().SelectMany(r => r).ToArray(),
            TaskContinuationOptions.ExecuteSynchronously);

    // Sends one message and returns its reply; after a failure, the message's slices regrouped by current address.
    async Task<(SiloMessagePlan, ExpertPartial)[]> Send(SiloMessagePlan message, int attempt)
    {
        foreach (var slice in message.Slices) slice.Route.AddOutstanding(slice.LocalRows.Count);
        try
        {
            dispatcher.Counters.CountMessage(message.Rows.Count);
            var reply = await dispatcher.Channels.For(message.DataPlane).Send(Build(message), deadline.Token);
            if (reply.StatusCode == (int)StatusCode.OK) return [(message, reply)];
            var status = new Status((StatusCode)reply.StatusCode, $"{message.DataPlane}: {reply.StatusMessage}");
            if (status.StatusCode is not (StatusCode.NotFound or StatusCode.Unavailable) || attempt >= MaxAttempts)
                throw new RpcException(status);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.NotFound && attempt < MaxAttempts)
        {
            // Fall through to the retry below.
        }
        finally
        {
            foreach (var slice in message.Slices) slice.Route.AddOutstanding(-slice.LocalRows.Count);
        }
        await dispatcher.Directory.Refresh(deadline.Token);
        var regrouped = Regroup(message);
        var retried = await Task.WhenAll(regrouped.Select(m => Send(m, attempt + 1)));
        return retried.SelectMany(r => r).ToArray();
    }

    // The same slots, grouped by the silo each replica lives on now.
    static IEnumerable<SiloMessagePlan> Regroup(SiloMessagePlan failed)
    {
        var messages = new Dictionary<string, SiloMessagePlan>();
        foreach (var slice in failed.Slices)
        {
            if (!messages.TryGetValue(slice.Route.DataPlane, out var message))
                messages[slice.Route.DataPlane] = message = new SiloMessagePlan(slice.Route.DataPlane);
            for (var i = 0; i < slice.LocalRows.Count; i++) message.Add(slice.Route, failed.Rows[slice.LocalRows[i]], slice.Weights[i]);
        }
        return messages.Values;
    }

    ExpertBatch Build(SiloMessagePlan message)
    {
        var rowBytes = batch.HiddenSize * WireDType.ElementSize(WireDType.FromScalarType(batch.DType));
        var hidden = new byte[message.Rows.Count * rowBytes];
        for (var i = 0; i < message.Rows.Count; i++)
            Buffer.BlockCopy(batch.Hidden, message.Rows[i] * rowBytes, hidden, i * rowBytes, rowBytes);
        var request = new ExpertBatch
        {
            Model = batch.Model,
            Step = batch.Step,
            Layer = batch.Layer,
            MicroBatch = batch.MicroBatch,
            NumRows = message.Rows.Count,
            HiddenSize = batch.HiddenSize,
            Dtype = WireDType.FromScalarType(batch.DType),
            Hidden = ByteString.CopyFrom(hidden),
        };
        foreach (var slice in message.Slices)
        {
            var wire = new ExpertSlice { Expert = slice.Route.Key.Expert, Replica = slice.Route.Key.Replica };
            wire.Rows.AddRange(slice.LocalRows);
            wire.Weights.AddRange(slice.Weights);
            request.Slices.Add(wire);
        }
        return request;
    }
}
