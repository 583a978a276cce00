using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Rex.Silo.Telemetry;

namespace Rex.Silo.Hosting;

/// <summary>
/// OpenTelemetry for every Rex process, configured by the standard `OTEL_*` variables. Metrics always feed the
/// Prometheus `/metrics` endpoint (and OTLP when an endpoint is set); traces are recorded only when an OTLP
/// endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), so without one no
/// listener exists and no span is ever created.
/// </summary>
public static class RexTelemetryExtensions
{
    /// <summary>The gateway's meter (its instruments live in Rex.Gateway; every process listens for it).</summary>
    public const string GatewayMeterName = "Rex.Gateway";

    public static IServiceCollection AddRexTelemetry(this IServiceCollection services, string serviceName)
    {
        var exportsOtlp = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
        var telemetry = services.AddOpenTelemetry()
            // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, take precedence over this default name.
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(SiloMetrics.MeterName, GatewayMeterName).AddPrometheusExporter();
                if (exportsOtlp) metrics.AddOtlpExporter();
            });
        if (exportsOtlp)
        {
            telemetry.WithTracing(tracing => tracing
                // Orleans' own spans stay out: its background calls (directory refreshes, placement) would bury the requests.
                .AddSource(RexTracing.GatewaySourceName, RexTracing.SiloSourceName)
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter());
        }
        return services;
    }
}
