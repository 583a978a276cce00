using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rex.Gateway.Grains;

namespace Rex.Gateway.Hosting;

/// <summary>
/// Activates the gateway grain as soon as the process is up, so the gateway's weights load and every expert is
/// placed before the first request instead of during it. Retries until the cluster can place them.
/// </summary>
public sealed partial class GatewayWarmup(LocalGateway gateway, ILogger<GatewayWarmup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var status = await gateway.Grain.Status();
                if (status.Experts.Length == status.ExpectedExperts)
                {
                    LogReady(status.Model, status.Experts.Length, status.Experts.Select(e => e.Silo).Distinct().Count());
                    return;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogNotYet(e.Message);
            }
            await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rex ready: {Model} with {Experts} expert replicas on {Silos} silos")]
    partial void LogReady(string model, int experts, int silos);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Gateway not ready yet: {Error}")]
    partial void LogNotYet(string error);
}
