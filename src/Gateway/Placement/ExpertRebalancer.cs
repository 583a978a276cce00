using Microsoft.Extensions.Logging;
using Rex.Gateway.Dispatch;
using Rex.Gateway.Hosting;
using Rex.Protos.Grains;

namespace Rex.Gateway.Placement;

/// <summary>
/// Continuous, bounded rebalancing of expert replicas by measured load. Every <see cref="GatewayOptions.RebalanceIntervalSeconds"/>
/// it re-describes every replica (the silos count the rows each served, for every gateway), takes the rows served since
/// the last interval as each replica's load, and moves at most <see cref="GatewayOptions.MaxExpertMovesPerInterval"/>
/// replicas from the busiest expert silo to the idlest (<see cref="RebalancePlanner"/>), by Orleans migration to that
/// silo (<see cref="ExpertMover"/>). Gateways follow a moved replica as they follow a drained one (NOT_FOUND, re-read,
/// resend): nothing stops. Only the gateway holding the placement ledger's lease rebalances; cordoned (draining) silos
/// take nothing, and no round runs while a replica is missing or the repair has replicas to move (recovery comes first:
/// <see cref="ReplicaRepairer"/>).
/// </summary>
public sealed partial class ExpertRebalancer : IAsyncDisposable
{
    readonly ExpertDirectory directory;
    readonly ExpertMover mover;
    readonly DispatchCounters counters;
    readonly GatewayOptions options;
    readonly ILogger logger;
    readonly CancellationTokenSource stopping = new();
    readonly Task rounds;

    public ExpertRebalancer(ExpertDirectory directory, ExpertMover mover, DispatchCounters counters, GatewayOptions options, ILogger logger)
    {
        this.directory = directory;
        this.mover = mover;
        this.counters = counters;
        this.options = options;
        this.logger = logger;
        rounds = options.RebalanceIntervalSeconds > 0 ? Run(stopping.Token) : Task.CompletedTask;
    }

    TimeSpan Interval => TimeSpan.FromSeconds(options.RebalanceIntervalSeconds);

    async Task Run(CancellationToken cancellationToken)
    {
        try
        {
            await directory.Ready.WaitAsync(cancellationToken);
            Dictionary<ExpertGrainKey, ExpertGrainInfo>? previous = null;
            while (true)
            {
                await Task.Delay(Interval, cancellationToken);
                previous = await Round(previous, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    // One interval: measure, plan, move. Returns this interval's descriptions, the baseline of the next one's load;
    // none when this gateway does not rebalance now, or after moves: the next interval only takes a new baseline, so
    // replicas that moved in the middle of one are never judged by a part of it.
    async Task<Dictionary<ExpertGrainKey, ExpertGrainInfo>?> Round(Dictionary<ExpertGrainKey, ExpertGrainInfo>? previous, CancellationToken cancellationToken)
    {
        try
        {
            var silos = await mover.Claim(2 * Interval, cancellationToken);
            if (silos is null || !await directory.TryRefresh(cancellationToken)) return null;
            var described = directory.Infos.ToDictionary(i => i.Key);
            if (ReplicaRepairPlanner.Plan([.. described.Values.Select(ReplicaPlacement.Of)], [.. silos.Keys], 1).Count > 0) return null;
            if (previous is null) return described;
            var loads = described.Values.Select(i => new ReplicaLoad(i.Key, i.Silo, Served(i, previous))).ToArray();
            // A quiet interval measures noise, not load.
            if (loads.Sum(l => l.Rows) < loads.Length) return described;
            var moves = RebalancePlanner.Plan(loads, [.. silos.Keys], options.MaxExpertMovesPerInterval, options.RebalanceImbalance);
            if (moves.Count > 0) LogRound(RebalancePlanner.Imbalance(loads, [.. silos.Keys]), moves.Count);
            var rows = loads.ToDictionary(l => l.Key, l => l.Rows);
            foreach (var move in moves)
            {
                await mover.Move(move, silos[move.To], cancellationToken);
                counters.CountMove();
                LogMove(move.Key, move.From, move.To, rows[move.Key]);
            }
            return moves.Count == 0 ? described : null;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogFailed(e.Message);
            return null;
        }
    }

    // Rows served since the last interval; a replica that moved or reactivated since counts from its activation.
    static long Served(ExpertGrainInfo now, Dictionary<ExpertGrainKey, ExpertGrainInfo> previous) =>
        previous.TryGetValue(now.Key, out var before) && before.Silo == now.Silo && before.RowsServed <= now.RowsServed
            ? now.RowsServed - before.RowsServed
            : now.RowsServed;

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        await rounds;
        stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rebalancing: the busiest expert silo serves {Imbalance:F2}x the mean; moving {Moves} replicas")]
    partial void LogRound(double imbalance, int moves);

    [LoggerMessage(Level = LogLevel.Information, Message = "Moving expert {Key} ({Rows} rows last interval) from {From} to {To}")]
    partial void LogMove(ExpertGrainKey key, string from, string to, long rows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rebalancing round failed: {Error}")]
    partial void LogFailed(string error);
}
