using System.Net;
using System.Threading.Channels;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rex.Protos.DataPlane;

namespace Rex.Gateway.Tests.Dispatch;

/// <summary>
/// A silo's data-plane endpoint on a loopback port (Kestrel, HTTP/2) whose replies the test writes: every batch it
/// reads waits in <see cref="Received"/> until the test answers it, in any order, or breaks the stream. What a
/// <see cref="Rex.Gateway.Dispatch.SiloChannel"/> must cope with, without experts behind it.
/// </summary>
public sealed class ScriptedDataPlane : IAsyncDisposable
{
    readonly WebApplication app;
    readonly Peer peer;

    ScriptedDataPlane(WebApplication app, Peer peer) => (this.app, this.peer) = (app, peer);

    /// <summary>The gRPC address, http://127.0.0.1:port.</summary>
    public string Address => app.Urls.First();

    /// <summary>Batches read, in order, each not yet answered.</summary>
    public ChannelReader<ExpertBatch> Received => peer.Received.Reader;

    /// <summary>Streams the gateway has opened so far.</summary>
    public int NumStreams => peer.NumStreams;

    public static async Task<ScriptedDataPlane> Start()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var peer = new Peer();
        builder.Services.AddSingleton(peer);
        var app = builder.Build();
        app.MapGrpcService<Service>();
        await app.StartAsync();
        return new ScriptedDataPlane(app, peer);
    }

    /// <summary>Answers `batch` on the current stream: OK, its rows, no partial sums.</summary>
    public Task Answer(ExpertBatch batch) => peer.Write(new ExpertPartial { RequestId = batch.RequestId, NumRows = batch.NumRows });

    /// <summary>Ends the current stream with UNAVAILABLE, as a silo that goes away does.</summary>
    public void Break() => peer.Broken.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    sealed class Peer
    {
        readonly SemaphoreSlim writeGate = new(1, 1);
        IServerStreamWriter<ExpertPartial>? writer;
        int numStreams;

        public Channel<ExpertBatch> Received { get; } = Channel.CreateUnbounded<ExpertBatch>();

        public TaskCompletionSource Broken { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int NumStreams => Volatile.Read(ref numStreams);

        public void Opened(IServerStreamWriter<ExpertPartial> responses)
        {
            Interlocked.Increment(ref numStreams);
            Broken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            writer = responses;
        }

        public async Task Write(ExpertPartial reply)
        {
            await writeGate.WaitAsync();
            try
            {
                await writer!.WriteAsync(reply);
            }
            finally
            {
                writeGate.Release();
            }
        }
    }

    sealed class Service(Peer peer) : ExpertDataPlane.ExpertDataPlaneBase
    {
        public override async Task Exchange(IAsyncStreamReader<ExpertBatch> requests, IServerStreamWriter<ExpertPartial> responses, ServerCallContext context)
        {
            peer.Opened(responses);
            var broken = peer.Broken.Task;
            var reading = Task.Run(async () =>
            {
                await foreach (var batch in requests.ReadAllAsync(context.CancellationToken)) peer.Received.Writer.TryWrite(batch);
            });
            if (await Task.WhenAny(reading, broken) == broken) throw new RpcException(new Status(StatusCode.Unavailable, "the scripted silo broke the stream"));
            await reading;
        }
    }
}
