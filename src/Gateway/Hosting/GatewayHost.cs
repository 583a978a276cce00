using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Rex.Gateway.Api;
using Rex.Silo.Experts;
using Rex.Silo.Hosting;

namespace Rex.Gateway.Hosting;

/// <summary>
/// A gateway silo, the gateway program's whole body: also what `rex serve` runs, so the installed tool serves exactly
/// what `dotnet run --project src/Gateway` does. With no arguments: the whole cluster in one process (gateway and
/// expert roles, localhost clustering) on the built-in tiny model, serving the public gRPC API (h2c) and the
/// OpenAI-compatible HTTP API.
/// </summary>
public static class GatewayHost
{
    /// <param name="args">Configuration, `--Rex:Name=value` (and any other ASP.NET Core setting); runs until the process is told to stop.</param>
    public static async Task RunAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.AddRexSources(args);
        var rex = builder.Configuration.GetSection(RexOptions.Section).Get<RexOptions>() ?? new RexOptions();
        var gateway = builder.Configuration.GetSection(RexOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
        if (!SiloRoles.Parse(rex.Roles).Contains(SiloRoles.Gateway))
            throw new ArgumentException($"a gateway process needs the '{SiloRoles.Gateway}' role; Roles is '{rex.Roles}'");
        // Kestrel's "address already in use" names neither the holder nor the setting; the quick start's 8000 is often taken.
        if (PortInUse.FirstConflict([($"{RexOptions.Section}:{nameof(gateway.Port)}", gateway.ApiHost, gateway.Port),
                ($"{RexOptions.Section}:{nameof(gateway.HttpPort)}", gateway.ApiHost, gateway.HttpPort), .. rex.ListeningPorts()]) is { } conflict)
            throw new PortInUseException(conflict);

        builder.UseOrleans(silo => silo.UseRexClustering(rex).AddRex(rex).AddRexGateway(gateway));
        var certificate = gateway.Validate().TlsCertificatePath.Length > 0
            ? X509Certificate2.CreateFromPemFile(gateway.TlsCertificatePath, gateway.TlsKeyPath)
            : null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Parse(gateway.ApiHost), gateway.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (certificate is not null) listen.UseHttps(certificate);
            });
            // HTTP/1.1, which OpenAI clients speak; HTTP/2 beside it only with TLS, whose ALPN lets a client choose.
            kestrel.Listen(IPAddress.Parse(gateway.ApiHost), gateway.HttpPort, listen =>
            {
                listen.Protocols = certificate is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
                if (certificate is not null) listen.UseHttps(certificate);
            });
            // Prometheus' port: private (no key, no TLS), so the public ports need not serve /metrics (RexApiExtensions).
            if (rex.MetricsPort > 0) kestrel.Listen(IPAddress.Parse(rex.MetricsHost), rex.MetricsPort, listen => listen.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddRexApi();

        var app = builder.Build();
        app.MapRexApi(rex.MetricsPort);
        await app.StartAsync();
        var urls = app.Urls.ToArray();
        Console.WriteLine($"Rex gateway serving {app.Services.GetRequiredService<ModelCatalog>().Name} on {urls[0]}");
        Console.WriteLine($"OpenAI-compatible HTTP API on {urls[1]}/v1");
        if (rex.MetricsPort > 0) Console.WriteLine($"Prometheus metrics on {urls[2]}/metrics");
        await app.WaitForShutdownAsync();
    }
}
