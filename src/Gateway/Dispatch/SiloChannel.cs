using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Rex.Protos.DataPlane;

namespace Rex.Gateway.Dispatch;

/// <summary>
/// The gateway's one long-lived data-plane stream to one silo. Sends are matched to replies by request id, so
/// any number of batches can be in flight; a broken stream fails what is pending and the next send reopens it.
/// </summary>
public sealed class SiloChannel : IAsyncDisposable
{
    const int MaxMessageBytes = 256 * 1024 * 1024;

    readonly GrpcChannel channel;
    readonly ConcurrentDictionary<ulong, TaskCompletionSource<ExpertPartial>> pending = new();
    readonly SemaphoreSlim writeGate = new(1, 1);
    AsyncDuplexStreamingCall<ExpertBatch, ExpertPartial>? call;
    long nextRequestId;

    public SiloChannel(string address)
    {
        Address = address;
        channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = MaxMessageBytes,
            MaxSendMessageSize = MaxMessageBytes,
        });
    }

    public string Address { get; }

    public async Task<ExpertPartial> Send(ExpertBatch batch, CancellationToken cancellationToken)
    {
        var id = (ulong)Interlocked.Increment(ref nextRequestId);
        batch.RequestId = id;
        var reply = new TaskCompletionSource<ExpertPartial>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = reply;
        using var cancel = cancellationToken.Register(() =>
        {
            if (pending.TryRemove(id, out var waiting)) waiting.TrySetCanceled(cancellationToken);
        });
        await writeGate.WaitAsync(cancellationToken);
        try
        {
            call ??= Open();
            await call.RequestStream.WriteAsync(batch, cancellationToken);
        }
        catch (Exception e) when (e is RpcException or IOException or InvalidOperationException)
        {
            pending.TryRemove(id, out _);
            Reset(e);
            throw new RpcException(new Status(StatusCode.Unavailable, $"data plane {Address}: {e.Message}"));
        }
        finally
        {
            writeGate.Release();
        }
        return await reply.Task;
    }

    AsyncDuplexStreamingCall<ExpertBatch, ExpertPartial> Open()
    {
        var opened = new ExpertDataPlane.ExpertDataPlaneClient(channel).Exchange();
        _ = ReadReplies(opened);
        return opened;
    }

    async Task ReadReplies(AsyncDuplexStreamingCall<ExpertBatch, ExpertPartial> stream)
    {
        try
        {
            await foreach (var partial in stream.ResponseStream.ReadAllAsync())
                if (pending.TryRemove(partial.RequestId, out var waiting)) waiting.TrySetResult(partial);
            FailPending(stream, new RpcException(new Status(StatusCode.Unavailable, $"data plane {Address} closed the stream")));
        }
        catch (Exception e)
        {
            FailPending(stream, e is RpcException ? e : new RpcException(new Status(StatusCode.Unavailable, $"data plane {Address}: {e.Message}")));
        }
    }

    void FailPending(AsyncDuplexStreamingCall<ExpertBatch, ExpertPartial> stream, Exception error)
    {
        Interlocked.CompareExchange(ref call, null, stream);
        foreach (var id in pending.Keys)
            if (pending.TryRemove(id, out var waiting)) waiting.TrySetException(error);
        stream.Dispose();
    }

    void Reset(Exception error)
    {
        if (call is { } broken) FailPending(broken, error);
    }

    public async ValueTask DisposeAsync()
    {
        if (call is { } open)
        {
            try
            {
                await open.RequestStream.CompleteAsync();
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
            {
                // Already broken: nothing to close.
            }
            open.Dispose();
        }
        channel.Dispose();
        writeGate.Dispose();
    }
}
