using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rex.Protos.Api;

namespace Rex.Client.Tests;

/// <summary>
/// A `rex.v1.Rex` server in this process whose Generate and GenerateStream fail the first `failures` attempts with
/// `code`, then answer "ok" (streamed: "o" with token 1, "k" with token 2). The next `cutStreams` streams fail with
/// UNAVAILABLE after their first message, as when a gateway dies mid-stream; with `replayDiffers`, streams after the
/// first begin with token 7 instead. It counts attempts and keeps each attempt's authorization header. Plain
/// HTTP/2, or TLS with a given certificate.
/// </summary>
public sealed class FlakyServer : Protos.Api.Rex.RexBase, IAsyncDisposable
{
    readonly WebApplication app;
    int failuresLeft;
    int cutsLeft;
    int streams;
    readonly bool replayDiffers;
    readonly StatusCode code;
    readonly ConcurrentQueue<string> authorizations = new();

    FlakyServer(int port, int failures, StatusCode code, X509Certificate2? certificate, int cutStreams, bool replayDiffers)
    {
        failuresLeft = failures;
        cutsLeft = cutStreams;
        this.replayDiffers = replayDiffers;
        this.code = code;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            if (certificate is not null) listen.UseHttps(certificate);
        }));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(this);
        app = builder.Build();
        app.MapGrpcService<FlakyServer>();
        Address = $"{(certificate is null ? "http" : "https")}://127.0.0.1:{port}";
    }

    public string Address { get; }

    public int Attempts => authorizations.Count;

    /// <summary>Each attempt's `authorization` header, "" where it had none.</summary>
    public IReadOnlyCollection<string> Authorizations => authorizations;

    /// <param name="port">0: a free port.</param>
    /// <param name="certificate">With one, the server speaks TLS only (https).</param>
    public static async Task<FlakyServer> Start(int failures, StatusCode code = StatusCode.Unavailable, int port = 0,
        X509Certificate2? certificate = null, int cutStreams = 0, bool replayDiffers = false)
    {
        var server = new FlakyServer(port == 0 ? FreePort() : port, failures, code, certificate, cutStreams, replayDiffers);
        await server.app.StartAsync();
        return server;
    }

    /// <summary>A port nothing listens on now (the system's pick of a free one, released).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public override Task<GenerateResponse> Generate(GenerateRequest request, ServerCallContext context)
    {
        Attempt(context);
        return Task.FromResult(new GenerateResponse { Text = "ok", FinishReason = "stop" });
    }

    public override async Task GenerateStream(GenerateRequest request, IServerStreamWriter<GenerateStreamResponse> responses, ServerCallContext context)
    {
        Attempt(context);
        var first = replayDiffers && Interlocked.Increment(ref streams) > 1 ? 7 : 1;
        await responses.WriteAsync(new GenerateStreamResponse { TokenIds = { first }, Text = "o" });
        if (Interlocked.Decrement(ref cutsLeft) >= 0) throw new RpcException(new Status(StatusCode.Unavailable, "gateway lost on purpose"));
        await responses.WriteAsync(new GenerateStreamResponse { TokenIds = { 2 }, Text = "k", FinishReason = "stop" });
    }

    void Attempt(ServerCallContext context)
    {
        authorizations.Enqueue(context.RequestHeaders.GetValue("authorization") ?? "");
        if (Interlocked.Decrement(ref failuresLeft) >= 0) throw new RpcException(new Status(code, "failing on purpose"));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
