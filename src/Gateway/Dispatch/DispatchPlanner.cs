namespace Rex.Gateway.Dispatch;

/// <summary>
/// Decides, for one layer of one micro-batch, which replica runs each (row, expert) slot and in which message.
/// Pure bookkeeping (no tensors, no I/O). Each slot goes to the replica of its expert with the least outstanding
/// work that still has room: room is `ExpertCapacityFactor` times the even share (slots / experts) per replica per
/// message, and `MaxRowsPerSiloMessage` rows per message. A slot that fits no replica goes to the next round
/// (defer) or is skipped (drop); a slot whose expert has no replica in routing is unavailable.
/// </summary>
public sealed class DispatchPlanner(double capacityFactor, int maxRowsPerSiloMessage, CapacityPolicy policy)
{
    /// <param name="experts">[rows * topK] expert of each slot.</param>
    /// <param name="weights">[rows * topK] router weight of each slot.</param>
    /// <param name="replicasOf">The replicas of an expert of this layer.</param>
    public DispatchPlan Plan(int rows, int topK, ReadOnlySpan<long> experts, ReadOnlySpan<float> weights, int numExperts,
        Func<int, IReadOnlyList<ReplicaRoute>> replicasOf)
    {
        var capacity = capacityFactor > 0 ? Math.Max(1, (int)Math.Ceiling(capacityFactor * rows * topK / numExperts)) : int.MaxValue;
        var rounds = new List<Dictionary<string, SiloMessagePlan>>();
        var assigned = new Dictionary<ReplicaRoute, long>();
        int rerouted = 0, deferred = 0, dropped = 0;
        var unavailable = new List<(int Row, int Expert)>();

        for (var slot = 0; slot < rows * topK; slot++)
        {
            var row = slot / topK;
            var replicas = replicasOf((int)experts[slot]);
            if (replicas.Count == 0)
            {
                unavailable.Add((row, (int)experts[slot]));
                continue;
            }
            var leastLoaded = replicas.MinBy(Load)!;
            for (var round = 0; ; round++)
            {
                if (round == rounds.Count) rounds.Add([]);
                var messages = rounds[round];
                var fitting = replicas.Where(r => Fits(messages, r, row)).ToArray();
                if (fitting.Length > 0)
                {
                    var replica = fitting.MinBy(Load)!;
                    if (round > 0) deferred++;
                    else if (replica != leastLoaded) rerouted++;
                    if (!messages.TryGetValue(replica.DataPlane, out var message))
                        messages[replica.DataPlane] = message = new SiloMessagePlan(replica.DataPlane);
                    message.Add(replica, row, weights[slot]);
                    assigned[replica] = assigned.GetValueOrDefault(replica) + 1;
                    break;
                }
                if (policy == CapacityPolicy.Drop)
                {
                    dropped++;
                    break;
                }
            }
        }
        var plannedRounds = rounds.Where(r => r.Count > 0).Select(r => (IReadOnlyList<SiloMessagePlan>)r.Values.ToArray()).ToArray();
        return new DispatchPlan(plannedRounds, rerouted, deferred, dropped, unavailable);

        long Load(ReplicaRoute replica) => replica.Outstanding + assigned.GetValueOrDefault(replica);

        bool Fits(Dictionary<string, SiloMessagePlan> messages, ReplicaRoute replica, int row)
        {
            if (!messages.TryGetValue(replica.DataPlane, out var message)) return true;
            if (message.RowsOf(replica) >= capacity) return false;
            return message.Holds(row) || maxRowsPerSiloMessage <= 0 || message.Rows.Count < maxRowsPerSiloMessage;
        }
    }
}
