using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Rex.Protos.DataPlane;

namespace Rex.Gateway.Dispatch;

/// <summary>
/// Probes every suspect silo on its data-plane stream, one empty batch per expert deadline, until it answers: routing
/// avoids a suspect silo, so without probes nothing would find out that it came back. A probe left unanswered is
/// one more missed deadline (so a silo nobody sends rows to is still taken out of routing); any reply, the probe's
/// or a late one, puts the silo back (<see cref="SiloChannel"/> tells <see cref="SiloHealth.Answered"/>). A broken
/// stream is a lost silo, not a stalled one: the directory follows that, and probing stops.
/// </summary>
public sealed partial class SiloProber(SiloHealth health, SiloChannelPool channels, ExpertDeadline deadline, ILogger logger) : IDisposable
{
    readonly ConcurrentDictionary<string, bool> probing = new();
    readonly CancellationTokenSource stopping = new();

    /// <summary>Starts probing a silo that just became suspect (once, however many dispatches saw it miss).</summary>
    public void Watch(string dataPlane)
    {
        if (!stopping.IsCancellationRequested && probing.TryAdd(dataPlane, true)) _ = Task.Run(() => Probe(dataPlane));
    }

    async Task Probe(string dataPlane)
    {
        LogSuspect(dataPlane, deadline.Current.TotalMilliseconds);
        var isLost = false;
        try
        {
            while (health.IsSuspect(dataPlane))
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
                timeout.CancelAfter(deadline.Current);
                try
                {
                    await channels.For(dataPlane).Send(new ExpertBatch(), timeout.Token);
                }
                catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                {
                    health.Missed(dataPlane);
                }
                catch (RpcException)
                {
                    isLost = true;
                    health.Forget(dataPlane);
                }
            }
            if (!isLost) LogAnswered(dataPlane);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        finally
        {
            probing.TryRemove(dataPlane, out _);
            // A miss between the last check and the removal found this loop still registered: start another.
            if (health.IsSuspect(dataPlane)) Watch(dataPlane);
        }
    }

    // Not disposed: a probe still starting may link to it; it holds no timer.
    public void Dispose() => stopping.Cancel();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expert silo {DataPlane} missed its data-plane deadline ({DeadlineMs:F0} ms): suspect, probing it")]
    partial void LogSuspect(string dataPlane, double deadlineMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Expert silo {DataPlane} answers again: back in routing")]
    partial void LogAnswered(string dataPlane);
}
