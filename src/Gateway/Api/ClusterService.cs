using Grpc.Core;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Rex.Gateway.Grains;
using Rex.Gateway.Hosting;
using Rex.Protos.Api;
using Rex.Protos.Grains;
using Rex.Silo.Hosting;

namespace Rex.Gateway.Api;

/// <summary>
/// `rex.v1.Cluster`: the cluster as Orleans sees it (live silos, their roles and devices from silo metadata) and
/// the experts as the gateway found them (each grain describing where it lives and what it served; those short of
/// full replication).
/// </summary>
public sealed class ClusterService(IGrainFactory grains, ISiloMetadataCache metadata, LocalGateway gateway) : Cluster.ClusterBase
{
    public override async Task<ClusterStatusResponse> GetStatus(ClusterStatusRequest request, ServerCallContext context)
    {
        GatewayStatus status;
        Dictionary<SiloAddress, Orleans.Runtime.SiloStatus> hosts;
        try
        {
            status = await gateway.Grain.Status();
            hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        }
        catch (Exception e)
        {
            throw ApiErrors.ToRpc(e, context);
        }
        var response = new ClusterStatusResponse
        {
            Model = status.Model,
            Version = RexVersion.Current,
            ExpectedExperts = status.ExpectedExperts,
            Dispatch = new DispatchCounters
            {
                Messages = status.Dispatch.Messages,
                RowsSent = status.Dispatch.RowsSent,
                ReroutedSlots = status.Dispatch.ReroutedSlots,
                DeferredSlots = status.Dispatch.DeferredSlots,
                DroppedSlots = status.Dispatch.DroppedSlots,
                ExpertMoves = status.Dispatch.ExpertMoves,
                DeadlineMisses = status.Dispatch.DeadlineMisses,
                ResentRows = status.Dispatch.ResentRows,
                UnavailableRows = status.Dispatch.UnavailableRows,
                SuspectSilos = status.Dispatch.SuspectSilos,
                ExpertDeadlineMs = status.Dispatch.ExpertDeadlineMs,
                InProcessMessages = status.Dispatch.InProcessMessages,
                InProcessRows = status.Dispatch.InProcessRows,
            },
            Profile = new StepProfile
            {
                Steps = status.Profile.Steps,
                AttentionSeconds = status.Profile.AttentionSeconds,
                DispatchSeconds = status.Profile.DispatchSeconds,
                ExpertWaitSeconds = status.Profile.ExpertWaitSeconds,
                ExpertComputeSeconds = status.Profile.ExpertComputeSeconds,
                CombineSeconds = status.Profile.CombineSeconds,
                SamplingSeconds = status.Profile.SamplingSeconds,
                TotalSeconds = status.Profile.TotalSeconds,
                RouterSeconds = status.Profile.RouterSeconds,
                SerializeSeconds = status.Profile.SerializeSeconds,
                NetworkSeconds = status.Profile.NetworkSeconds,
                LocalFeedForwardSeconds = status.Profile.LocalFeedForwardSeconds,
                StepBytes = status.Profile.StepBytes,
            },
            Scheduler = new SchedulerCounters
            {
                NumRunning = status.Scheduler.NumRunning,
                NumWaiting = status.Scheduler.NumWaiting,
                KvBlockSize = status.Scheduler.KvBlockSize,
                NumKvBlocks = status.Scheduler.NumKvBlocks,
                NumUsedKvBlocks = status.Scheduler.NumUsedKvBlocks,
                PrefixCacheQueriedTokens = status.Scheduler.PrefixCacheQueriedTokens,
                PrefixCacheHitTokens = status.Scheduler.PrefixCacheHitTokens,
                Preemptions = status.Scheduler.Preemptions,
                RejectedRequests = status.Scheduler.RejectedRequests,
            },
        };
        response.UnderReplicated.AddRange(status.UnderReplicated.Select(e => new Protos.Api.UnderReplicatedExpert
        {
            Layer = e.Layer,
            Expert = e.Expert,
            NumReplicas = e.NumReplicas,
            NumSilos = e.NumSilos,
        }));
        foreach (var silo in hosts.Keys.OrderBy(s => s.ToString(), StringComparer.Ordinal))
        {
            var siloMetadata = metadata.GetSiloMetadata(silo);
            var experts = status.Experts.Where(e => e.Silo == silo.ToString()).OrderBy(e => (e.Key.Layer, e.Key.Expert, e.Key.Replica)).ToArray();
            var entry = new Protos.Api.SiloStatus { Address = silo.ToString(), DataPlane = experts.FirstOrDefault()?.DataPlane ?? "" };
            entry.Roles.AddRange(SiloRoles.Roles(siloMetadata));
            entry.Devices.AddRange(SiloRoles.Devices(siloMetadata));
            entry.Experts.AddRange(experts.Select(e => new Protos.Api.HostedExpert
            {
                Layer = e.Key.Layer,
                Expert = e.Key.Expert,
                Replica = e.Key.Replica,
                Device = e.Device,
                RowsServed = e.RowsServed,
            }));
            response.Silos.Add(entry);
        }
        return response;
    }
}
