using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Rex.Silo.Experts;
using Rex.Silo.Hosting;
using Rex.Silo.Security;

namespace Rex.Silo.DataPlane;

/// <summary>
/// The expert silo's own gRPC server (HTTP/2 on a private port; with the cluster's certificates, mutual TLS that
/// admits only members' certificates, else h2c), separate from any public API the process serves, so every expert
/// silo has exactly one data-plane address. Publishes the bound address (https:// or http://) to the registry, which
/// expert grains report to gateways.
/// </summary>
/// <param name="meterProvider">The host's meters, served on MetricsPort (the host's provider, not this server's own services).</param>
/// <param name="certificates">The cluster's TLS credentials (ClusterTlsDirectory); null: plaintext.</param>
public sealed class DataPlaneServer(IOptions<RexOptions> options, ExpertBatchRunner runner, ExpertRegistry registry, MeterProvider? meterProvider = null,
    ClusterCertificates? certificates = null) : IHostedService, IAsyncDisposable
{
    /// <summary>The largest data-plane message either end accepts. gRPC's default is 4 MiB; a prefill batch of a real-width model is larger.</summary>
    public const int MaxMessageBytes = 256 * 1024 * 1024;

    WebApplication? app;
    readonly CancellationTokenSource stopping = new();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // A process that is also a gateway serves MetricsPort beside its public API instead.
        var metricsPort = SiloRoles.Parse(options.Value.Roles).Contains(SiloRoles.Gateway) ? 0 : options.Value.MetricsPort;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Parse(options.Value.DataPlaneHost), options.Value.DataPlanePort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (certificates is not null) listen.UseHttps(certificates.ServerOptions());
            });
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1024;
            if (metricsPort > 0)
                kestrel.Listen(IPAddress.Parse(options.Value.MetricsHost), metricsPort, listen => listen.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = MaxMessageBytes;
            grpc.MaxSendMessageSize = MaxMessageBytes;
        });
        builder.Services.AddSingleton(runner);
        builder.Services.AddSingleton(new DataPlaneShutdown(stopping.Token));
        builder.Services.AddSingleton(new DataPlaneSecret(options.Value.DataPlaneSecret));
        app = builder.Build();
        app.MapGrpcService<ExpertDataPlaneService>();
        if (metricsPort > 0)
        {
            app.UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider ?? throw new InvalidOperationException("MetricsPort is set but the host has no meter provider"),
                context => context.Connection.LocalPort == metricsPort && context.Request.Path == "/metrics", null, null, null);
        }
        await app.StartAsync(cancellationToken);
        registry.SetDataPlaneAddress(app.Urls.First());
    }

    // Gateways hold their streams open for good: end them first, or Kestrel's graceful stop waits on them.
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        if (app is not null) await app.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null) await app.DisposeAsync();
        stopping.Dispose();
    }
}

/// <summary>Cancelled when the data-plane server stops, ending every open stream.</summary>
public sealed record DataPlaneShutdown(CancellationToken Token);
