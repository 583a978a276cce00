using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rex.Silo.Hosting;

namespace Rex.Silo.Security;

/// <summary>
/// One warning at start for a silo of a cluster of several processes that runs without ClusterTlsDirectory: any
/// process that reaches its ports and knows the ClusterId can join as a silo or call grains as a client. The
/// one-process default (both roles, localhost clustering, no primary elsewhere) has no one to join it and stays quiet.
/// </summary>
public sealed partial class PlaintextClusterWarning(ILogger<PlaintextClusterWarning> logger) : IHostedLifecycleService
{
    public static bool Applies(RexOptions options) =>
        options.Clustering != "localhost" || options.PrimarySiloEndpoint.Length > 0 || !SiloRoles.Parse(options.Roles).ToHashSet().SetEquals([SiloRoles.Gateway, SiloRoles.Expert]);

    // Before any service starts: Orleans' start can wait long for a cluster that refuses this silo.
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        LogPlaintext(logger);
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "ClusterTlsDirectory is not set: Orleans connections and the data plane are plaintext, and any process that knows the ClusterId can join this cluster")]
    private static partial void LogPlaintext(ILogger logger);
}
