using Microsoft.Extensions.Diagnostics.HealthChecks;
using Rex.Gateway.Grains;

namespace Rex.Gateway.Hosting;

/// <summary>SERVING on `grpc.health.v1.Health` while the gateway grain answers and every expert it expects is placed.</summary>
public sealed class GatewayHealthCheck(LocalGateway gateway) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var status = await gateway.Grain.Status().WaitAsync(cancellationToken);
            return status.Experts.Length == status.ExpectedExperts
                ? HealthCheckResult.Healthy($"{status.Experts.Length} expert replicas placed")
                : HealthCheckResult.Unhealthy($"{status.Experts.Length} of {status.ExpectedExperts} expert replicas placed");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("the gateway grain does not answer", e);
        }
    }
}
