using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Rex.Protos.DataPlane;
using Rex.Silo.DataPlane;
using Rex.Silo.Security;

namespace Rex.Gateway.Dispatch;

/// <summary>
/// The gateway's one long-lived data-plane stream to one silo. Sends are matched to replies by request id, so
/// any number of batches can be in flight; a broken stream fails only the sends made on it, and the next send
/// opens a new one. A caller's deadline bounds its wait for the reply, never the shared stream: a reply that comes
/// after its caller stopped waiting is discarded, but still tells <c>answered</c> that the silo is alive. With the
/// cluster's certificates the stream opens only over TLS to a silo that proves a member's certificate, presenting
/// this gateway's own; an http:// address is never dialled, so no row (and no secret) goes to a silo that cannot prove itself.
/// </summary>
public sealed class SiloChannel : IAsyncDisposable
{
    readonly GrpcChannel channel;
    readonly SemaphoreSlim writeGate = new(1, 1);
    OpenStream? stream;
    long nextRequestId;

    /// <summary>One opened stream and the replies still owed on it.</summary>
    sealed class OpenStream(AsyncDuplexStreamingCall<ExpertBatch, ExpertPartial> call)
    {
        public AsyncDuplexStreamingCall<ExpertBatch, ExpertPartial> Call { get; } = call;
        public ConcurrentDictionary<ulong, TaskCompletionSource<ExpertPartial>> Pending { get; } = new();
    }

    readonly DataPlaneSecret secret;
    readonly bool requiresTls;
    readonly Action<string> answered;

    /// <param name="certificates">The cluster's TLS credentials (ClusterTlsDirectory); null: h2c.</param>
    public SiloChannel(string address, DataPlaneSecret secret, ClusterCertificates? certificates, Action<string> answered)
    {
        Address = address;
        this.secret = secret;
        requiresTls = certificates is not null;
        this.answered = answered;
        // What GrpcChannel makes by itself (several HTTP/2 connections once one is full of streams), plus the certificates.
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        if (certificates is not null) handler.SslOptions = certificates.ClientOptions();
        channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = DataPlaneServer.MaxMessageBytes,
            MaxSendMessageSize = DataPlaneServer.MaxMessageBytes,
        });
    }

    public string Address { get; }

    public async Task<ExpertPartial> Send(ExpertBatch batch, CancellationToken cancellationToken)
    {
        var id = (ulong)Interlocked.Increment(ref nextRequestId);
        batch.RequestId = id;
        var reply = new TaskCompletionSource<ExpertPartial>(TaskCreationOptions.RunContinuationsAsynchronously);
        OpenStream? used = null;
        await writeGate.WaitAsync(cancellationToken);
        try
        {
            used = stream ??= Open();
            used.Pending[id] = reply;
            // Not the caller's token: cancelling a write cancels the whole call, every layer's batches with it.
            await used.Call.RequestStream.WriteAsync(batch, CancellationToken.None);
        }
        catch (Exception e) when (e is RpcException or IOException or InvalidOperationException)
        {
            if (used is not null) Fail(used, Unavailable(e.Message));
            throw Unavailable(e.Message);
        }
        finally
        {
            writeGate.Release();
        }
        using var cancel = cancellationToken.Register(() =>
        {
            if (used.Pending.TryRemove(id, out var waiting)) waiting.TrySetCanceled(cancellationToken);
        });
        return await reply.Task;
    }

    OpenStream Open()
    {
        if (requiresTls && new Uri(Address).Scheme != Uri.UriSchemeHttps)
            throw new InvalidOperationException("this gateway has the cluster's certificates and opens no plaintext stream; the silo advertises no TLS");
        var opened = new OpenStream(new ExpertDataPlane.ExpertDataPlaneClient(channel).Exchange(secret.Headers));
        _ = ReadReplies(opened);
        return opened;
    }

    async Task ReadReplies(OpenStream opened)
    {
        try
        {
            await foreach (var partial in opened.Call.ResponseStream.ReadAllAsync())
            {
                answered(Address);
                if (opened.Pending.TryRemove(partial.RequestId, out var waiting)) waiting.TrySetResult(partial);
            }
            Fail(opened, Unavailable("the silo closed the stream"));
        }
        catch (Exception e)
        {
            Fail(opened, Unavailable(e.Message));
        }
    }

    // Fails what is owed on this stream only, and forgets the stream so the next send opens another.
    void Fail(OpenStream broken, RpcException error)
    {
        Interlocked.CompareExchange(ref stream, null, broken);
        foreach (var id in broken.Pending.Keys)
            if (broken.Pending.TryRemove(id, out var waiting)) waiting.TrySetException(error);
        broken.Call.Dispose();
    }

    RpcException Unavailable(string detail) => new(new Status(StatusCode.Unavailable, $"data plane {Address}: {detail}"));

    public async ValueTask DisposeAsync()
    {
        await writeGate.WaitAsync();
        try
        {
            if (stream is { } open)
            {
                try
                {
                    await open.Call.RequestStream.CompleteAsync();
                }
                catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
                {
                    // Already broken: nothing to close.
                }
                Fail(open, Unavailable("the gateway closed the channel"));
            }
        }
        finally
        {
            writeGate.Release();
        }
        channel.Dispose();
    }
}
