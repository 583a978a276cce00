using Microsoft.Extensions.Options;
using Rex.Gateway.Api;
using Rex.Gateway.Grains;
using Rex.Gateway.OpenAi;

namespace Rex.Gateway.Hosting;

/// <summary>
/// The public surface of a gateway process, behind the API key: rex.v1 over gRPC with health and reflection, and
/// the OpenAI-compatible HTTP API; and Prometheus' /metrics, on its own port when there is one.
/// </summary>
public static class RexApiExtensions
{
    /// <summary>Largest request message (gRPC) or body (HTTP) accepted; a prompt is bounded by MaxPromptChars well below it.</summary>
    internal const int MaxRequestBytes = 16 << 20;

    public static IServiceCollection AddRexApi(this IServiceCollection services)
    {
        services.AddSingleton<LocalGateway>();
        services.AddSingleton<GenerationFront>();
        services.AddSingleton<ApiKeyCheck>();
        services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = MaxRequestBytes;
            grpc.Interceptors.Add<ApiKeyInterceptor>();
        });
        services.AddGrpcReflection();
        services.AddCors();
        services.AddHostedService<GatewayWarmup>();
        // Checked on each Health call (not from a periodic publisher's cache): a probe sees readiness at once. Asked by
        // service name, as grpc_health_probe -service and Kubernetes' grpc probe's service field ask, rex.v1.Rex is
        // the same gateway check as the server's ("").
        services.AddGrpcHealthChecks(health =>
        {
            health.UseHealthChecksCache = false;
            health.Services.Map(Protos.Api.Rex.Descriptor.FullName, _ => true);
        }).AddCheck<GatewayHealthCheck>("gateway");
        return services.AddOpenAiApi();
    }

    /// <param name="metricsPort">The port that alone serves /metrics (`MetricsPort`); 0: none, the HTTP port serves it behind the API key.</param>
    public static WebApplication MapRexApi(this WebApplication app, int metricsPort)
    {
        // Before the endpoints: a browser's preflight (OPTIONS, without the API key) is answered here.
        var corsOrigins = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.CorsOrigins;
        if (corsOrigins.Length > 0)
            app.UseCors(cors => (corsOrigins.Contains("*") ? cors.AllowAnyOrigin() : cors.WithOrigins(corsOrigins)).AllowAnyMethod().AllowAnyHeader());
        app.MapGrpcService<RexApiService>();
        app.MapGrpcService<ClusterService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        if (metricsPort > 0)
        {
            // Told apart by the port a connection reached, never by its Host header, which the client writes. Any other
            // path there is 404, not the public endpoint routing matched to it.
            app.MapWhen(context => context.Connection.LocalPort == metricsPort, metrics => metrics.UseOpenTelemetryPrometheusScrapingEndpoint()
                .Run(context =>
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }));
        }
        else
        {
            // Prometheus scrapes over HTTP/1.1: in effect the HTTP port's (the gRPC port speaks HTTP/2 only), where
            // the API key guards /metrics as it guards /v1 (the same 401).
            app.MapPrometheusScrapingEndpoint(path: null, meterProvider: null, optionsName: null,
                configureBranchedPipeline: scrape => scrape.Use((context, next) => context.RequestServices.GetRequiredService<OpenAiCall>().Run(context, c => next(c))));
        }
        return app.MapOpenAiApi();
    }
}
