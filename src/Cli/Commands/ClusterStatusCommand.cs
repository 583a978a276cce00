using System.CommandLine;
using System.Text;
using Rex.Client;
using Rex.Protos.Api;

namespace Rex.Cli.Commands;

/// <summary>
/// `rex cluster status --server URL [--json]`: every silo with its roles, devices and hosted expert replicas, the
/// experts short of full replication (fewer distinct silos than replicas), the gateway's scheduler and KV cache, and
/// the dispatch counters.
/// </summary>
internal static class ClusterStatusCommand
{
    sealed record ExpertReport(int Layer, int Expert, int Replica, string Device, long RowsServed);

    sealed record SiloReport(string Address, string[] Roles, string[] Devices, string DataPlane, int NumExperts, ExpertReport[] Experts);

    sealed record UnderReplicatedReport(int Layer, int Expert, int NumReplicas, int NumSilos);

    /// <summary>The gateway's scheduler and KV cache; free blocks include cached ones a new request may reclaim.</summary>
    sealed record SchedulerReport(int NumRunning, int NumWaiting, long NumPreempted, long NumRejected, int KvBlockSize, int NumKvBlocks,
        int NumUsedKvBlocks, int NumFreeKvBlocks, long PrefixCacheQueriedTokens, long PrefixCacheHitTokens, double? PrefixCacheHitRate);

    sealed record Report(string Version, string Model, int ExpectedExperts, int ActiveExperts, SiloReport[] Silos, UnderReplicatedReport[] UnderReplicated,
        SchedulerReport Scheduler, DispatchCounters Dispatch, StepProfile Profile);

    public static Command Create()
    {
        var server = new Option<string>(UnreachableServer.ServerOption) { Description = "the Rex gateway, e.g. http://127.0.0.1:50051", Required = true };
        var json = new Option<bool>("--json") { Description = "print the status as one JSON object" };
        var apiKey = new ApiKeyOption();
        var command = new Command("status", "Show the cluster's silos and where every expert replica lives") { server, json };
        apiKey.AddTo(command);
        CliAction.Set(command, (parse, output) =>
        {
            using var client = new RexClient(apiKey.ClientOptions(parse, parse.GetValue(server)!));
            var report = ToReport(client.GetClusterStatusAsync().GetAwaiter().GetResult());
            output.Write(parse.GetValue(json) ? CliJson.Serialize(report) + "\n" : Table(report));
        });
        return command;
    }

    static Report ToReport(ClusterStatusResponse status) => new(
        status.Version, status.Model, status.ExpectedExperts, status.Silos.Sum(s => s.Experts.Count),
        status.Silos.Select(s => new SiloReport(s.Address, [.. s.Roles], [.. s.Devices], s.DataPlane, s.Experts.Count,
            s.Experts.Select(e => new ExpertReport(e.Layer, e.Expert, e.Replica, e.Device, e.RowsServed)).ToArray())).ToArray(),
        status.UnderReplicated.Select(e => new UnderReplicatedReport(e.Layer, e.Expert, e.NumReplicas, e.NumSilos)).ToArray(),
        Scheduler(status.Scheduler), status.Dispatch, status.Profile);

    static SchedulerReport Scheduler(SchedulerCounters s) => new(s.NumRunning, s.NumWaiting, s.Preemptions, s.RejectedRequests, s.KvBlockSize,
        s.NumKvBlocks, s.NumUsedKvBlocks, s.NumKvBlocks - s.NumUsedKvBlocks, s.PrefixCacheQueriedTokens, s.PrefixCacheHitTokens,
        s.PrefixCacheQueriedTokens > 0 ? (double)s.PrefixCacheHitTokens / s.PrefixCacheQueriedTokens : null);

    static string Table(Report report)
    {
        var text = new StringBuilder();
        text.AppendLine($"Rex {report.Version}, model {report.Model}: {report.ActiveExperts} of {report.ExpectedExperts} expert replicas active");
        foreach (var silo in report.Silos)
        {
            text.AppendLine($"{silo.Address}  roles {string.Join(",", silo.Roles)}  devices {string.Join(",", silo.Devices)}  {silo.DataPlane}  {silo.NumExperts} experts");
            foreach (var e in silo.Experts)
                text.AppendLine($"  layer {e.Layer,3} expert {e.Expert,3} replica {e.Replica}  {e.Device,-8} rows served {e.RowsServed}");
        }
        text.AppendLine($"under-replicated: {report.UnderReplicated.Length} experts" + (report.UnderReplicated.Length == 0 ? "" :
            " (replicas on fewer distinct silos than configured): " +
            string.Join(", ", report.UnderReplicated.Select(e => $"layer {e.Layer} expert {e.Expert} on {e.NumSilos} of {e.NumReplicas}"))));
        var q = report.Scheduler;
        text.AppendLine($"scheduler: {q.NumRunning} running, {q.NumWaiting} waiting, {q.NumPreempted} preempted, {q.NumRejected} rejected since start");
        text.AppendLine($"KV cache: {q.NumUsedKvBlocks} blocks used, {q.NumFreeKvBlocks} free of {q.NumKvBlocks} ({q.KvBlockSize} tokens each); " +
            $"prefix cache: {q.PrefixCacheHitTokens} of {q.PrefixCacheQueriedTokens} prompt tokens hit" +
            (q.PrefixCacheHitRate is { } rate ? FormattableString.Invariant($" ({100 * rate:F1}%)") : ""));
        var d = report.Dispatch;
        text.AppendLine($"dispatch: {d.Messages} messages, {d.RowsSent} rows over the wire, {d.InProcessMessages} messages, {d.InProcessRows} rows in process, {d.ReroutedSlots} rerouted, {d.DeferredSlots} deferred, {d.DroppedSlots} dropped slots, {d.ExpertMoves} replicas moved by the rebalancer");
        text.AppendLine($"deadline: {d.ExpertDeadlineMs:F0} ms, {d.DeadlineMisses} missed, {d.ResentRows} rows resent, {d.UnavailableRows} rows unavailable, {d.SuspectSilos} silos suspect now");
        return text.ToString();
    }
}
