using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Rex.Gateway.Hosting;
using Rex.Model.Config;
using Rex.Protos.Grains;
using Rex.Silo.Hosting;

namespace Rex.Gateway.Dispatch;

/// <summary>
/// Where every expert replica of the served model lives, learned from Orleans: describing an expert grain
/// activates it (placement picks the silo, activation loads the weights) and returns its silo's data-plane
/// address. Re-read periodically, on every membership change, and whenever a dispatch fails, so new silos, lost
/// silos and moved experts are followed. Waits for <see cref="GatewayOptions.MinExpertSilos"/> expert silos
/// before the first placement, so experts spread over all of them. <see cref="IsServing"/> tells the engine whether
/// a step can reach its experts at all. Routing is an immutable <see cref="RoutingTable"/>: every change builds a
/// new one (under a lock, so concurrent changes are not lost) and publishes it with one volatile write; readers take
/// the current table without a lock.
/// </summary>
public sealed partial class ExpertDirectory : IAsyncDisposable
{
    // One replica that does not answer must not hold up the refresh of the others (and the steps waiting on it).
    static readonly TimeSpan DescribeTimeout = TimeSpan.FromSeconds(10);

    readonly IGrainFactory grains;
    readonly IClusterMembershipService membership;
    readonly IClusterManifestProvider manifests;
    readonly ISiloMetadataCache metadata;
    readonly GatewayOptions options;
    readonly SiloHealth health;
    readonly ILogger logger;
    readonly Lock publishing = new();
    readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly SemaphoreSlim refreshGate = new(1, 1);
    readonly CancellationTokenSource stopping = new();
    readonly RefreshSignal refreshSignal = new();
    readonly Task watcher;
    volatile RoutingTable routing;
    volatile ExpertGrainInfo[] infos = [];
    volatile bool isServing;

    public ExpertDirectory(IGrainFactory grains, IClusterMembershipService membership, IClusterManifestProvider manifests, ISiloMetadataCache metadata,
        string model, ModelConfig config, ReplicaCounts replicas, GatewayOptions options, SiloHealth health, ILogger logger)
    {
        this.health = health;
        this.grains = grains;
        this.membership = membership;
        this.manifests = manifests;
        this.metadata = metadata;
        this.options = options;
        this.logger = logger;
        // A dense layer has no experts: its row stays empty.
        routing = new RoutingTable(Enumerable.Range(0, config.NumLayers).Select(layer =>
            Enumerable.Range(0, config.IsMoeLayer(layer) ? config.Moe.NumExperts : 0).Select(expert =>
                Enumerable.Range(0, replicas.For(layer, expert))
                    .Select(replica => new ReplicaRoute(new ExpertGrainKey(model, layer, expert, replica), ""))
                    .ToArray()).ToArray()).ToArray());
        Keys = [.. routing.All.Select(r => r.Key)];
        watcher = Watch(stopping.Token);
    }

    /// <summary>Every replica the served model's experts are configured to have.</summary>
    public IReadOnlyList<ExpertGrainKey> Keys { get; }

    public int ExpectedExperts => Keys.Count;

    /// <summary>Completes once every replica has been placed and described.</summary>
    public Task Ready => ready.Task;

    /// <summary>
    /// Whether a step can reach experts: every replica was placed once, an expert silo is active (for a model with
    /// experts) and every MoE layer has a placed replica. Kept up to date by every refresh and mark-down, so the engine reads it per step for free.
    /// </summary>
    public bool IsServing => isServing;

    /// <summary>The routing table now: take it once and read it as long as one consistent view is needed.</summary>
    public RoutingTable Routing => routing;

    /// <summary>One layer's routes in the current table, for one dispatch's plan.</summary>
    public LayerRoutes RoutesOf(int layer) => new(routing, layer, health);

    /// <summary>What is missing while not <see cref="IsServing"/>: the expert silos, the replicas placed, the layers with none.</summary>
    public string DescribeMissing()
    {
        var table = routing;
        var silos = ready.Task.IsCompleted ? $"{CountExpertSilos()} expert silos active" : $"{CountExpertSilos()} of MinExpertSilos ({options.MinExpertSilos}) expert silos active";
        var unplaced = Enumerable.Range(0, table.NumLayers).Where(table.IsUnplaced).ToArray();
        return $"{silos}, {table.NumPlaced} of {ExpectedExperts} expert replicas placed" + (unplaced.Length > 0 ? $", none for layers {string.Join(", ", unplaced)}" : "");
    }

    /// <summary>The last description of every replica that answered.</summary>
    public IReadOnlyList<ExpertGrainInfo> Infos => infos;

    /// <summary>In the current table: see <see cref="RoutingTable.Replicas"/>.</summary>
    public IReadOnlyList<ReplicaRoute> Replicas(int layer, int expert) => routing.Replicas(layer, expert, health);

    /// <summary>
    /// Describes every replica now (activating any that are not) and updates the addresses of those that answer;
    /// true when all did. A replica that does not answer keeps its last address (or none, if marked down).
    /// </summary>
    public async Task<bool> TryRefresh(CancellationToken cancellationToken)
    {
        await refreshGate.WaitAsync(cancellationToken);
        try
        {
            var described = await Task.WhenAll(Keys.Select(key => Describe(key, cancellationToken)));
            var answered = new Dictionary<ExpertGrainKey, string>();
            for (var i = 0; i < described.Length; i++)
                if (described[i] is { } info) answered[Keys[i]] = info.DataPlane;
            // Applied to the table now, not the one the descriptions started from: a mark-down in between is kept
            // for the replicas that did not answer.
            Publish(route =>
            {
                if (!answered.TryGetValue(route.Key, out var dataPlane)) return route;
                if (route.DataPlane != dataPlane && route.IsPlaced) LogMoved(route.Key, route.DataPlane, dataPlane);
                return route.At(dataPlane);
            });
            infos = [.. described.OfType<ExpertGrainInfo>()];
            var isComplete = described.All(d => d is not null);
            if (isComplete && ready.TrySetResult()) LogReady(described.Length, described.Select(d => d!.Silo).Distinct().Count());
            UpdateServing();
            return isComplete;
        }
        finally
        {
            refreshGate.Release();
        }
    }

    /// <summary>
    /// Stops routing to a silo whose data plane failed, until a refresh finds its replicas again, and asks for that
    /// refresh now (in the background: a step retries on the other replicas without waiting for it).
    /// </summary>
    public void MarkDown(string dataPlane)
    {
        Publish(route => route.DataPlane == dataPlane ? route.At("") : route);
        UpdateServing();
        health.Forget(dataPlane);
        refreshSignal.Signal();
    }

    // Replaces the table with one where each route is `change`'s; writers serialize, readers never wait.
    void Publish(Func<ReplicaRoute, ReplicaRoute> change)
    {
        lock (publishing) routing = routing.With(change);
    }

    // Under the publishing lock: a refresh and a mark-down on two threads must not leave the older table's answer.
    void UpdateServing()
    {
        lock (publishing)
        {
            var wasServing = isServing;
            var table = routing;
            isServing = ready.Task.IsCompleted && (ExpectedExperts == 0 || CountExpertSilos() > 0) && !Enumerable.Range(0, table.NumLayers).Any(table.IsUnplaced);
            if (wasServing == isServing) return;
            if (isServing) LogServing();
            else LogNotServing(DescribeMissing());
        }
    }

    async Task<ExpertGrainInfo?> Describe(ExpertGrainKey key, CancellationToken cancellationToken)
    {
        try
        {
            return await grains.GetGrain<IExpertGrain>(key.ToString()).Describe().WaitAsync(DescribeTimeout, cancellationToken);
        }
        // Orleans cancels a call it cannot address yet (a lost silo's directory range still under lease): that replica
        // did not answer this time, like any other failure; only the caller's own cancellation ends the refresh.
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogDescribeFailed(key, e.Message);
            return null;
        }
    }

    async Task Watch(CancellationToken cancellationToken)
    {
        try
        {
            await WaitForExpertSilos(cancellationToken);
            WatchMembership(cancellationToken);
            while (!cancellationToken.IsCancellationRequested)
            {
                await TryRefresh(cancellationToken);
                var period = ready.Task.IsCompleted ? TimeSpan.FromSeconds(options.ExpertDirectoryRefreshSeconds) : TimeSpan.FromSeconds(1);
                await Task.WhenAny(Task.Delay(period, cancellationToken), refreshSignal.Next());
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    async Task WaitForExpertSilos(CancellationToken cancellationToken)
    {
        while (CountExpertSilos() < options.MinExpertSilos)
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
    }

    int CountExpertSilos() => ExpertSilos().Count();

    /// <summary>
    /// The active expert silos placement can use: a silo only once its grain manifest has reached this one, which
    /// can lag its membership.
    /// </summary>
    public IEnumerable<SiloAddress> ExpertSilos() => SiloRoles.ActiveWith(membership, metadata, SiloRoles.Expert).Where(manifests.Current.Silos.ContainsKey);

    void WatchMembership(CancellationToken cancellationToken) =>
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var _ in membership.MembershipUpdates.WithCancellation(cancellationToken)) refreshSignal.Signal();
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        }, cancellationToken);

    // A signal that completes the current waiter on each membership change or failed dispatch.
    sealed class RefreshSignal
    {
        TaskCompletionSource next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Next() => Volatile.Read(ref next).Task;

        public void Signal() => Interlocked.Exchange(ref next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        await watcher;
        stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "All {Replicas} expert replicas placed, on {Silos} silos")]
    partial void LogReady(int replicas, int silos);

    [LoggerMessage(Level = LogLevel.Information, Message = "Every MoE layer has a placed expert replica: serving")]
    partial void LogServing();

    [LoggerMessage(Level = LogLevel.Warning, Message = "No experts to serve requests ({Missing}): they wait up to ExpertWaitTimeoutSeconds")]
    partial void LogNotServing(string missing);

    [LoggerMessage(Level = LogLevel.Information, Message = "Expert {Key} moved from {From} to {To}")]
    partial void LogMoved(ExpertGrainKey key, string from, string to);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expert {Key} did not answer: {Error}")]
    partial void LogDescribeFailed(ExpertGrainKey key, string error);
}
