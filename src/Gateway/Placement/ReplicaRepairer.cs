using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Rex.Gateway.Dispatch;
using Rex.Protos.Grains;
using Rex.Silo.Hosting;

namespace Rex.Gateway.Placement;

/// <summary>
/// Brings the cluster back to full replication within seconds of a silo joining. After a silo loss the lost replicas
/// reactivate on the silos left, next to their siblings; a silo that joins later would get them back only through the
/// rebalancer, which moves a few per interval and only under load. Every second the repairer checks the directory's
/// last view for replicas that share a silo with another replica of their expert while some expert silo holds none of
/// it; then, holding the placement ledger's lease, it moves at most <see cref="RexOptions.MaxConcurrentReplicaLoads"/>
/// replicas at once to silos that lack them (<see cref="ReplicaRepairPlanner"/>), waits until each has left its silo
/// (its weights loaded on the new one), and plans again, until nothing is left to repair.
/// </summary>
public sealed partial class ReplicaRepairer : IAsyncDisposable
{
    // The check reads the directory's last view only (no grain call), so it can run often: a silo that joins gets
    // its first replicas within this of placement seeing it.
    static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);
    // How often a moving replica is asked where it lives.
    static readonly TimeSpan LocatePoll = TimeSpan.FromMilliseconds(100);
    // A migration whose placement could not use the named silo (the replica's silo did not know it yet) is dropped
    // without a word: a replica still on its silo after this is asked again (asking one that is moving changes nothing).
    static readonly TimeSpan MoveRetry = TimeSpan.FromSeconds(2);
    // Long enough for a replica to load its weights on its new silo (as a drain allows).
    static readonly TimeSpan MoveTimeout = TimeSpan.FromSeconds(30);

    readonly ExpertDirectory directory;
    readonly ExpertMover mover;
    readonly int maxConcurrentLoads;
    readonly ILogger logger;
    readonly CancellationTokenSource stopping = new();
    readonly Task checks;

    public ReplicaRepairer(ExpertDirectory directory, ExpertMover mover, int maxConcurrentLoads, ILogger logger)
    {
        this.directory = directory;
        this.mover = mover;
        this.maxConcurrentLoads = maxConcurrentLoads;
        this.logger = logger;
        checks = Run(stopping.Token);
    }

    async Task Run(CancellationToken cancellationToken)
    {
        try
        {
            await directory.Ready.WaitAsync(cancellationToken);
            while (true)
            {
                await Task.Delay(CheckInterval, cancellationToken);
                var silos = directory.ExpertSilos().Select(s => s.ToString()).ToArray();
                if (ReplicaRepairPlanner.Plan(Placements(), silos, 1).Count > 0) await Repair(cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    // Moves batches of replicas until the plan is empty, another gateway holds the lease, or no move of a batch took.
    async Task Repair(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var moved = 0;
        try
        {
            while (true)
            {
                var silos = await mover.Claim(2 * MoveTimeout, cancellationToken);
                if (silos is null) return;
                // The only silos lacking an expert may be cordoned: then there is nothing to refresh for.
                if (ReplicaRepairPlanner.Plan(Placements(), [.. silos.Keys], 1).Count == 0) break;
                await directory.TryRefresh(cancellationToken);
                var moves = ReplicaRepairPlanner.Plan(Placements(), [.. silos.Keys], maxConcurrentLoads);
                if (moves.Count == 0) break;
                LogBatch(ReplicaRepairPlanner.UnderReplicated(directory.Keys, Placements()).Count, moves.Count);
                var landed = await Task.WhenAll(moves.Select(move => MoveAndLocate(move, silos, cancellationToken)));
                if (!landed.Any(l => l)) return;
                moved += landed.Count(l => l);
            }
            if (moved > 0) LogRepaired(moved, clock.Elapsed.TotalSeconds);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogFailed(e.Message);
        }
    }

    // Whether the replica left its silo within MoveTimeout: a call reaching it after that finds it on its new silo.
    async Task<bool> MoveAndLocate(ExpertMove move, IReadOnlyDictionary<string, SiloAddress> silos, CancellationToken cancellationToken)
    {
        LogMove(move.Key, move.From, move.To);
        var clock = Stopwatch.StartNew();
        var asked = TimeSpan.Zero;
        await mover.Move(move, silos[move.To], cancellationToken);
        while (clock.Elapsed < MoveTimeout)
        {
            await Task.Delay(LocatePoll, cancellationToken);
            if (await mover.Locate(move.Key, cancellationToken) != move.From) return true;
            if (clock.Elapsed - asked < MoveRetry) continue;
            asked = clock.Elapsed;
            await mover.Move(move, silos[move.To], cancellationToken);
        }
        LogStuck(move.Key, move.From, MoveTimeout.TotalSeconds);
        return false;
    }

    IReadOnlyList<ReplicaPlacement> Placements() => [.. directory.Infos.Select(ReplicaPlacement.Of)];

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        await checks;
        stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Repairing replication: {Experts} experts under-replicated; moving {Moves} replicas")]
    partial void LogBatch(int experts, int moves);

    [LoggerMessage(Level = LogLevel.Information, Message = "Moving expert {Key} from {From}, which holds another replica of it, to {To}")]
    partial void LogMove(ExpertGrainKey key, string from, string to);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replication repaired: {Moves} replicas moved in {Seconds:F1} s")]
    partial void LogRepaired(int moves, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expert {Key} was still on {From} {Seconds:F0} s after it was asked to move")]
    partial void LogStuck(ExpertGrainKey key, string from, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replication repair failed: {Error}")]
    partial void LogFailed(string error);
}
