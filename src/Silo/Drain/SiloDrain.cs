using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Rex.Protos.Grains;
using Rex.Silo.Experts;
using Rex.Silo.Hosting;

namespace Rex.Silo.Drain;

/// <summary>
/// Graceful exit of an expert silo (SIGTERM: a Kubernetes rolling update, `rex cluster drain`). Before anything
/// stops, while the data plane and Orleans still serve, the silo cordons itself in the placement ledger and moves
/// its expert replicas to the other expert silos, <see cref="RexOptions.MaxConcurrentReplicaLoads"/> at a time
/// (Orleans migration: the replica deactivates here and activates there). Gateways that send rows to a replica
/// mid-move get NOT_FOUND, re-read the directory and resend, so steps wait a moment instead of failing. The silo
/// exits when it hosts nothing, or after <see cref="RexOptions.DrainTimeoutSeconds"/>. With no other expert silo alive there is nowhere to go: it exits at once.
/// SIGINT (Ctrl+C, `rex cluster down`, which stops every silo) stops without draining.
/// </summary>
public sealed partial class SiloDrain(
    ExpertRegistry registry, IGrainFactory grains, ILocalSiloDetails silo, IClusterMembershipService membership,
    ISiloMetadataCache metadata, IOptions<RexOptions> options, ILogger<SiloDrain> logger) : IHostedLifecycleService
{
    static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    // Long enough for a replica to load its weights on the target silo.
    static readonly TimeSpan MoveTimeout = TimeSpan.FromSeconds(30);

    // How each drain's log line begins: `rex cluster drain` reports the last one from the silo's log.
    const string Drained = "Drained:";
    const string Incomplete = "Drain incomplete:";
    const string Nowhere = "No other expert silo is alive:";
    const string Failed = "Drain failed:";

    /// <summary>The beginnings of the log lines that say how a drain ended.</summary>
    public static IReadOnlyList<string> Outcomes { get; } = [Drained, Incomplete, Nowhere, Failed];

    PosixSignalRegistration? interrupt;
    volatile bool interrupted;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var hosted = registry.All.Count;
        if (hosted == 0 || interrupted) return;
        if (!OtherExpertSilos())
        {
            LogNowhere(hosted);
            return;
        }
        var clock = Stopwatch.StartNew();
        var timeout = TimeSpan.FromSeconds(options.Value.DrainTimeoutSeconds);
        try
        {
            await grains.GetGrain<IExpertPlacementGrain>(IExpertPlacementGrain.LedgerKey).Cordon(silo.SiloAddress).WaitAsync(timeout, cancellationToken);
            while (registry.All.Count > 0 && clock.Elapsed < timeout)
            {
                var batch = registry.All.Take(options.Value.MaxConcurrentReplicaLoads).Select(e => e.Key).ToArray();
                await Task.WhenAll(batch.Select(key => grains.GetGrain<IExpertGrain>(key.ToString()).Move(null)));
                var moving = Stopwatch.StartNew();
                while (batch.Any(key => registry.TryGet(key, out _)) && clock.Elapsed < timeout && moving.Elapsed < MoveTimeout)
                    await Task.Delay(Poll, cancellationToken);
                // None moved: no silo would take them (every other one is draining too, as when a whole release is deleted).
                if (batch.All(key => registry.TryGet(key, out _))) break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(e.Message);
        }
        if (registry.All.Count == 0) LogDrained(hosted, clock.Elapsed.TotalSeconds);
        else LogIncomplete(hosted - registry.All.Count, registry.All.Count, clock.Elapsed.TotalSeconds);
    }

    bool OtherExpertSilos() => SiloRoles.ActiveWith(membership, metadata, SiloRoles.Expert).Any(s => !s.Equals(silo.SiloAddress));

    // Noted only: the host's own handler still stops the process.
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => interrupted = true);
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        interrupt?.Dispose();
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = Drained + " moved all {Experts} expert replicas to other silos in {Seconds:F1} s")]
    partial void LogDrained(int experts, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = Incomplete + " moved {Moved} expert replicas, {Left} still here after {Seconds:F1} s; they reactivate elsewhere when this silo is gone")]
    partial void LogIncomplete(int moved, int left, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = Nowhere + " {Experts} expert replicas stop with this silo")]
    partial void LogNowhere(int experts);

    [LoggerMessage(Level = LogLevel.Warning, Message = Failed + " {Error}")]
    partial void LogFailed(string error);
}
