using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rex.Silo.DataPlane;

namespace Rex.Cli.Bench;

/// <summary>
/// The bare gRPC echo on a free loopback port: Kestrel, HTTP/2 without TLS and the message limits of the data
/// plane's own server (<see cref="DataPlaneServer"/>), so the two differ only in what happens between read and write.
/// </summary>
internal sealed class TransportEchoServer(WebApplication app) : IAsyncDisposable
{
    public string Address => app.Urls.First();

    public static async Task<TransportEchoServer> Start()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = DataPlaneServer.MaxMessageBytes;
            grpc.MaxSendMessageSize = DataPlaneServer.MaxMessageBytes;
        });
        var app = builder.Build();
        app.MapGrpcService<TransportEchoService>();
        await app.StartAsync();
        return new TransportEchoServer(app);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
