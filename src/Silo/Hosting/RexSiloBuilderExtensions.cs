using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Rex.Model.Checkpoint;
using Rex.Model.Config;
using Rex.Model.Layers;
using Rex.Model.Tensors;
using Rex.Silo.DataPlane;
using Rex.Silo.Devices;
using Rex.Silo.Experts;
using Rex.Silo.Placement;
using Rex.Silo.Security;
using Rex.Silo.Drain;

namespace Rex.Silo.Hosting;

/// <summary>How any Rex process joins the Orleans cluster, and what the expert role adds to a silo.</summary>
public static class RexSiloBuilderExtensions
{
    /// <summary>
    /// Silo metadata (roles, devices, memory), the served model and expert placement, for every Rex silo; plus
    /// devices, the expert registry and the data-plane server when the silo has the expert role. Membership is
    /// separate (<see cref="UseRexClustering"/>), so tests can run these silos in Orleans' test cluster.
    /// </summary>
    public static ISiloBuilder AddRex(this ISiloBuilder silo, RexOptions options)
    {
        var roles = SiloRoles.Parse(options.Roles);
        foreach (var role in roles)
            if (role is not (SiloRoles.Gateway or SiloRoles.Expert))
                throw new ArgumentException($"Roles holds '{role}'; a silo's roles are {SiloRoles.Gateway} and {SiloRoles.Expert}", "Roles");
        var isExpert = roles.Contains(SiloRoles.Expert);
        if (options.MaxConcurrentReplicaLoads < 1)
            throw new ArgumentException($"MaxConcurrentReplicaLoads = {options.MaxConcurrentReplicaLoads} must be at least 1", nameof(options.MaxConcurrentReplicaLoads));
        TorchThreads.WaitPassively();
        var devices = DeviceSpec.ParseList(options.Devices);
        if (isExpert) CudaAvailability.Require(devices, nameof(options.Devices));
        var dtype = ComputePlacement.ParseDType(options.DType);
        var loadFormat = LoadFormats.Parse(options.LoadFormat);
        var overrides = HfOverrides.Parse(options.HfOverrides, $"{RexOptions.Section}:{nameof(options.HfOverrides)}");
        var cpuExecutors = isExpert ? devices.Count(d => d.Device.type == TorchSharp.DeviceType.CPU) : 0;
        var engineThreads = roles.Contains(SiloRoles.Gateway) ? 1 : 0;
        // A gateway that hosts experts too waits for them each layer rather than computing beside them: its engine
        // thread does not count apart from its CPU executors for the kernels' threads (libtorch's still do).
        TorchThreads.Configure(options.TorchThreads, engineThreads + cpuExecutors, Math.Max(engineThreads, cpuExecutors));
        HostMemory.KeepFreedTensors();

        var metadata = new Dictionary<string, string> { [SiloRoles.RolesKey] = string.Join(',', roles) };
        if (isExpert)
        {
            metadata[SiloRoles.DevicesKey] = string.Join(',', devices.Select(d => d.Name));
            metadata[SiloRoles.ExpertMemoryKey] = (options.ExpertMemoryBytes > 0
                ? options.ExpertMemoryBytes
                : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes).ToString();
        }
        silo.UseSiloMetadata(metadata);

        var services = silo.Services;
        // Orleans' watchdog reports, at every start, that a participant "has not completed" for as long as the machine
        // has been up (its first check measures from the clock's zero): a stall that never happened, the first line
        // a new user reads. Its errors still show.
        services.AddLogging(logging => logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error));
        services.AddRexTelemetry(roles.Contains(SiloRoles.Gateway) ? "rex-gateway" : "rex-silo");
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(_ => new ModelCatalog(options.Model, options.ModelName, dtype, loadFormat, overrides));
        services.AddPlacementDirector<ExpertPlacementStrategy, ExpertPlacementDirector>();
        if (isExpert)
        {
            services.AddSingleton(_ => new DeviceInventory(devices));
            services.AddSingleton<ExpertRegistry>();
            services.AddSingleton<ExpertBatchRunner>();
            services.AddHostedService<DataPlaneServer>();
            services.AddHostedService<SiloDrain>();
            // Stopping waits for the drain; the margin covers the data plane and Orleans' own shutdown after it.
            services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(options.DrainTimeoutSeconds + 30));
        }
        return silo;
    }

    /// <summary>Membership from the settings (localhost clustering on one machine, or Redis) and TLS on its connections.</summary>
    public static ISiloBuilder UseRexClustering(this ISiloBuilder silo, RexOptions options)
    {
        silo.UseRexClusterTls(options);
        // A dead expert silo stalls the steps that need its experts until Orleans declares it dead and reactivates them
        // elsewhere: probe faster than Orleans' defaults (about 15 s to declare) so that takes a few seconds.
        silo.Configure<Orleans.Configuration.ClusterMembershipOptions>(membership =>
        {
            membership.ProbeTimeout = TimeSpan.FromSeconds(options.ProbeTimeoutSeconds);
            membership.NumMissedProbesLimit = options.NumMissedProbesLimit;
        });
        // After a crash the directory holds the dead silo's grains under a lease (counted from its estimated failure)
        // before they may be placed again, lest a silo that is only cut off still runs them. Expert grains are
        // stateless copies of weights, so a brief duplicate is harmless: the lease only needs to cover detection.
        silo.Configure<Orleans.Configuration.GrainDirectoryOptions>(directory =>
            directory.RangeLeaseDuration = TimeSpan.FromSeconds(options.ProbeTimeoutSeconds * options.NumMissedProbesLimit));
        // The default (eventually consistent) grain directory loses the entries a dead silo held and must then terminate
        // those grains wherever they run: losing one expert silo would take down the gateway grain and every request in
        // it. The distributed directory recovers a dead silo's entries from the living, so only its own grains are lost.
#pragma warning disable ORLEANSEXP003 // evaluation-only API: the behaviour above is what Rex needs
        silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        var siloPort = FreePort.OrPick(options.SiloPort);
        var gatewayPort = FreePort.OrPick(options.OrleansGatewayPort);
        switch (options.Clustering)
        {
            case "localhost":
                var primary = string.IsNullOrEmpty(options.PrimarySiloEndpoint) ? null : IPEndPoint.Parse(options.PrimarySiloEndpoint);
                silo.UseLocalhostClustering(siloPort, gatewayPort, primary, options.ServiceId, options.ClusterId);
                break;
            case "redis":
                silo.UseRedisClustering(options.RedisConnectionString);
                silo.Configure<Orleans.Configuration.ClusterOptions>(cluster =>
                {
                    cluster.ClusterId = options.ClusterId;
                    cluster.ServiceId = options.ServiceId;
                });
                // Listens on the advertised address only (the pod's IP under Kubernetes, loopback for `rex cluster up`),
                // never on every interface of the host.
                silo.ConfigureEndpoints(IPAddress.Parse(options.AdvertisedAddress), siloPort, gatewayPort, listenOnAnyHostAddress: false);
                break;
            default:
                throw new ArgumentException($"Clustering '{options.Clustering}' is not localhost or redis", "Clustering");
        }
        return silo;
    }
}
