using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Rex.Gateway.Dispatch;
using Rex.Gateway.Engine;
using Rex.Gateway.Hosting;
using Rex.Model.Engine;
using Rex.Protos.Grains;
using Rex.Silo.Devices;
using Rex.Silo.Experts;

namespace Rex.Gateway.Grains;

/// <summary>
/// One replica of the served model (key "model/replica"). Activation builds its engine: the expert directory
/// (which places and activates every expert grain), the dispatcher and the engine loop on the gateway device.
/// Reentrant: every call just enqueues into the engine and awaits, so requests batch together.
/// </summary>
[GatewayPlacement]
[KeepAlive]
[Reentrant]
public sealed class GatewayGrain(
    ModelCatalog catalog, IOptions<GatewayOptions> gatewayOptions, IGrainFactory grains, IClusterMembershipService membership,
    IClusterManifestProvider manifests, ISiloMetadataCache metadata, ILoggerFactory loggers) : Grain, IGatewayGrain
{
    readonly StepProfiler profiler = new();
    readonly DispatchCounters counters = new();
    readonly SiloChannelPool channels = new();
    ExpertDirectory? directory;
    GatewayEngine? engine;

    public static string KeyOf(string model, int replica = 0) => $"{model}/{replica}";

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var options = gatewayOptions.Value;
        var model = catalog.Get(this.GetPrimaryKeyString()[..this.GetPrimaryKeyString().LastIndexOf('/')]);
        directory = new ExpertDirectory(grains, membership, manifests, metadata, catalog.Name, model.Config,
            new ReplicaCounts(options.ExpertReplicas, options.ExpertReplicaOverrides), options, loggers.CreateLogger<ExpertDirectory>());
        var planner = new DispatchPlanner(options.ExpertCapacityFactor, options.MaxRowsPerSiloMessage, ParsePolicy(options.CapacityPolicy));
        var dispatcher = new ExpertDispatcher(directory, channels, planner, counters, profiler, catalog.Name, model.Config.NumExperts,
            catalog.DType, TimeSpan.FromSeconds(options.DispatchTimeoutSeconds));
        engine = new GatewayEngine(model, catalog.PlacementOn(DeviceSpec.Parse(options.GatewayDevice).Device), options, directory, dispatcher,
            profiler, loggers.CreateLogger<GatewayEngine>());
        await engine.Loaded;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        engine?.Dispose();
        if (directory is not null) await directory.DisposeAsync();
        await channels.DisposeAsync();
    }

    public async Task<GenerationOutcome> Generate(GenerationInput input, CancellationToken cancellation)
    {
        var result = await engine!.Submit(new GenerationRequest(input.PromptIds, GenerationInputs.Sampling(input)), cancellation);
        return new GenerationOutcome([.. result.TokenIds], result.Text, result.FinishReason.ToWireName());
    }

    public async Task<GatewayStatus> Status()
    {
        if (directory!.Ready.IsCompleted) await directory.Refresh(CancellationToken.None);
        return new GatewayStatus(catalog.Name, directory.ExpectedExperts, [.. directory.Infos], counters.Snapshot(), profiler.Snapshot());
    }

    static CapacityPolicy ParsePolicy(string policy) => policy.ToLowerInvariant() switch
    {
        "defer" => CapacityPolicy.Defer,
        "drop" => CapacityPolicy.Drop,
        _ => throw new ArgumentException($"CapacityPolicy '{policy}' is not defer or drop", "CapacityPolicy"),
    };
}
