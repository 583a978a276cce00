using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Rex.Gateway.Dispatch;
using Rex.Gateway.Engine;
using Rex.Gateway.Hosting;
using Rex.Gateway.Placement;
using Rex.Gateway.Telemetry;
using Rex.Model.Engine;
using Rex.Protos.Grains;
using Rex.Silo.Devices;
using Rex.Silo.DataPlane;
using Rex.Silo.Experts;
using Rex.Silo.Hosting;
using Rex.Silo.Security;
using Rex.Silo.Telemetry;

namespace Rex.Gateway.Grains;

/// <summary>
/// One replica of the served model (key "model/replica"; see <see cref="LocalGateway"/>). Activation builds its engine: the expert directory
/// (which places and activates every expert grain), the rebalancer and the repair of replication, the dispatcher and the
/// engine loop on the gateway device.
/// Reentrant: every call just enqueues into the engine and awaits, so requests batch together.
/// </summary>
[GatewayPlacement]
[KeepAlive]
[Reentrant]
public sealed class GatewayGrain(
    ModelCatalog catalog, IOptions<GatewayOptions> gatewayOptions, IOptions<RexOptions> rexOptions, IGrainFactory grains,
    IClusterMembershipService membership, IClusterManifestProvider manifests, ISiloMetadataCache metadata, ILoggerFactory loggers,
    ClusterCertificates? certificates = null, ExpertRegistry? localExperts = null, ExpertBatchRunner? localRunner = null)
    : Grain, IGatewayGrain
{
    readonly StepProfiler profiler = new();
    readonly DispatchCounters counters = new();
    SiloChannelPool? channels;
    SiloProber? prober;
    ExpertDirectory? directory;
    ExpertRebalancer? rebalancer;
    ReplicaRepairer? repairer;
    GatewayEngine? engine;
    GatewayMetrics? metrics;

    public static string KeyOf(string model, string replica) => $"{model}/{replica}";

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var options = gatewayOptions.Value;
        var model = catalog.Get(this.GetPrimaryKeyString()[..this.GetPrimaryKeyString().LastIndexOf('/')]);
        var placement = catalog.PlacementOn(DeviceSpec.Parse(options.GatewayDevice).Device);
        try
        {
            var health = new SiloHealth(options.SuspectAfterMissedDeadlines, counters);
            var deadline = new ExpertDeadline(TimeSpan.FromMilliseconds(options.ExpertDeadlineMs), TimeSpan.FromSeconds(options.DispatchTimeoutSeconds), counters);
            channels = new SiloChannelPool(new DataPlaneSecret(rexOptions.Value.DataPlaneSecret), certificates, health.Answered);
            prober = new SiloProber(health, channels, deadline, loggers.CreateLogger<SiloProber>());
            directory = new ExpertDirectory(grains, membership, manifests, metadata, catalog.Name, model.Config, options.Replicas, options, health,
                loggers.CreateLogger<ExpertDirectory>());
            // The gateway grain's key names this gateway in the ledger's lease.
            var mover = new ExpertMover(directory, grains, this.GetPrimaryKeyString());
            rebalancer = new ExpertRebalancer(directory, mover, counters, options, loggers.CreateLogger<ExpertRebalancer>());
            repairer = new ReplicaRepairer(directory, mover, rexOptions.Value.MaxConcurrentReplicaLoads, loggers.CreateLogger<ReplicaRepairer>());
            // Observed when scraped: before the engine exists (or after it stops) there is nothing in it.
            metrics = new GatewayMetrics(catalog.Name, () => engine?.Status ?? new SchedulerSnapshot(0, 0, 0, 0, 0, 0, 0, 0, 0), counters.Snapshot);
            var planner = new DispatchPlanner(options.ExpertCapacityFactor, options.MaxRowsPerSiloMessage, options.CapacityPolicy);
            var dispatcher = new ExpertDispatcher(directory, channels, planner, counters, profiler, metrics, catalog.Name, model.Config.Moe.NumExperts,
                catalog.DType, TimeSpan.FromSeconds(options.DispatchTimeoutSeconds), TimeSpan.FromSeconds(options.ExpertWaitTimeoutSeconds),
                deadline, health, prober, await InProcess(options, cancellationToken));
            engine = new GatewayEngine(model, placement, options, directory, dispatcher, profiler, metrics, loggers.CreateLogger<GatewayEngine>());
            await engine.Loaded;
        }
        catch (Exception e)
        {
            // Orleans skips OnDeactivateAsync after a failed activation: stop what already started, or every retry leaks it.
            await Stop();
            throw new InvalidOperationException($"the gateway for {catalog.Name} could not start: {e.Message}", e);
        }
    }

    // The expert silo in this process, when this silo has the expert role too and InProcessExperts is on.
    async Task<InProcessExperts?> InProcess(GatewayOptions options, CancellationToken cancellationToken)
    {
        if (!options.InProcessExperts || localExperts is null || localRunner is null) return null;
        // The data plane names the silo in the directory; it listens before the silo serves requests.
        var dataPlane = await localExperts.DataPlaneAddress.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        return new InProcessExperts(localRunner, dataPlane);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Stop();

    async Task Stop()
    {
        engine?.Dispose();
        metrics?.Dispose();
        if (repairer is not null) await repairer.DisposeAsync();
        if (rebalancer is not null) await rebalancer.DisposeAsync();
        if (directory is not null) await directory.DisposeAsync();
        prober?.Dispose();
        if (channels is not null) await channels.DisposeAsync();
    }

    public async Task<GenerationOutcome> Generate(GenerationInput input, CancellationToken cancellation)
    {
        var request = engine!.Submit(GenerationInputs.Request(input), cancellation, stream: false, input.Operation, RexTracing.ParseTraceParent(input.TraceParent));
        var result = await request.Result;
        return new GenerationOutcome([.. result.TokenIds], result.Text, result.FinishReason.ToWireName(),
            GenerationInputs.Wire(result.Logprobs), request.NumCachedPromptTokens);
    }

    public async IAsyncEnumerable<GenerationDelta> GenerateStream(GenerationInput input, [EnumeratorCancellation] CancellationToken cancellation)
    {
        // The engine watches this token: when the caller stops reading, the request leaves the schedule and frees its blocks.
        using var abandoned = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var request = engine!.Submit(GenerationInputs.Request(input), abandoned.Token, stream: true, input.Operation, RexTracing.ParseTraceParent(input.TraceParent));
        try
        {
            await foreach (var delta in request.Deltas.ReadAllAsync(CancellationToken.None))
            {
                yield return new GenerationDelta([.. delta.TokenIds], delta.Text, GenerationInputs.Wire(delta.Logprobs ?? []),
                    delta.FinishReason?.ToWireName(), delta.FinishReason is null ? 0 : request.NumCachedPromptTokens);
            }
        }
        finally
        {
            abandoned.Cancel();
        }
    }

    public async Task<GatewayStatus> Status()
    {
        if (directory!.Ready.IsCompleted) await directory.TryRefresh(CancellationToken.None);
        var infos = directory.Infos;
        var underReplicated = ReplicaRepairPlanner.UnderReplicated(directory.Keys, [.. infos.Select(ReplicaPlacement.Of)]);
        return new GatewayStatus(catalog.Name, directory.ExpectedExperts, [.. infos], counters.Snapshot(), profiler.Snapshot(), engine!.Status, [.. underReplicated]);
    }
}
