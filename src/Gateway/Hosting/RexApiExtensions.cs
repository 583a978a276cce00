using Rex.Gateway.Api;
using Rex.Gateway.Grains;
using Rex.Gateway.OpenAi;

namespace Rex.Gateway.Hosting;

/// <summary>
/// The public surface of a gateway process, behind the API key: rex.v1 over gRPC with health and reflection, and
/// the OpenAI-compatible HTTP API.
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
        services.AddHostedService<GatewayWarmup>();
        // Checked on each Health call (not from a periodic publisher's cache): a probe sees readiness at once.
        services.AddGrpcHealthChecks(health => health.UseHealthChecksCache = false).AddCheck<GatewayHealthCheck>("gateway");
        return services.AddOpenAiApi();
    }

    public static WebApplication MapRexApi(this WebApplication app)
    {
        app.MapGrpcService<RexApiService>();
        app.MapGrpcService<ClusterService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        // Prometheus scrapes over HTTP/1.1: in effect the HTTP port's (the gRPC port speaks HTTP/2 only).
        app.MapPrometheusScrapingEndpoint();
        return app.MapOpenAiApi();
    }
}
