using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using Rex.Protos.Grains;
using Rex.Silo.Devices;
using Rex.Silo.Experts;
using Rex.Silo.Placement;

namespace Rex.Silo.Grains;

/// <summary>
/// One expert replica. On activation it reserves room on the least loaded device of its silo, loads only its own
/// rows of the fused expert tensors there, and registers with the silo's data plane; on deactivation it frees
/// them. Kept alive: its weights are its reason to exist, and reloading them is expensive.
/// </summary>
[ExpertPlacement]
[KeepAlive]
public sealed partial class ExpertGrain(
    ModelCatalog catalog, DeviceInventory devices, ExpertRegistry registry, ILocalSiloDetails silo,
    IGrainFactory grains, ILogger<ExpertGrain> logger) : Grain, IExpertGrain
{
    HostedExpert? hosted;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = ExpertGrainKey.Parse(this.GetPrimaryKeyString());
        var model = catalog.Get(key.Model);
        var config = model.Config;
        if (key.Layer < 0 || key.Layer >= config.NumLayers || !config.IsMoeLayer(key.Layer) || key.Expert < 0 || key.Expert >= config.Moe.NumExperts)
            throw new ArgumentOutOfRangeException(nameof(key),
                $"{key} is not a routed expert of the model: {config.Moe.NumExperts} experts on each of the MoE layers [{string.Join(", ", config.MoeLayers)}]");
        var bytes = ExpertBytes.Of(model.Config, catalog.DType);
        var executor = devices.Reserve(bytes);
        try
        {
            var expert = await HostedExpert.Load(catalog, key, executor);
            try
            {
                registry.Add(expert);
            }
            catch
            {
                await executor.Run(expert.Glu.Dispose);
                throw;
            }
            hosted = expert;
        }
        catch
        {
            devices.Release(executor, bytes);
            throw;
        }
        LogActivated(key, executor.Spec.Name, bytes);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (hosted is null) return;
        registry.Remove(hosted.Key);
        await hosted.Executor.Run(hosted.Glu.Dispose);
        devices.Release(hosted.Executor, hosted.Bytes);
        // A silo shutting down takes the ledger's knowledge of it along; calling out now would only wait on it.
        if (reason.ReasonCode != DeactivationReasonCode.ShuttingDown)
            await grains.GetGrain<IExpertPlacementGrain>(IExpertPlacementGrain.LedgerKey).Release(hosted.Key, silo.SiloAddress);
        LogDeactivated(hosted.Key, reason.Description);
    }

    public async Task<ExpertGrainInfo> Describe()
    {
        var expert = hosted ?? throw new InvalidOperationException("expert grain is not active");
        return new ExpertGrainInfo(expert.Key, silo.SiloAddress.ToString(), await registry.DataPlaneAddress,
            expert.Executor.Spec.Name, expert.Bytes, expert.RowsServed);
    }

    public Task Move(SiloAddress? target)
    {
        // The migration's placement reads the hint from the request context current when it is asked for.
        if (target is not null) RequestContext.Set(IPlacementDirector.PlacementHintKey, target);
        this.MigrateOnIdle();
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Expert {Key} loaded on {Device} ({Bytes} bytes)")]
    partial void LogActivated(ExpertGrainKey key, string device, long bytes);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Expert {Key} unloaded: {Reason}")]
    partial void LogDeactivated(ExpertGrainKey key, string reason);
}
