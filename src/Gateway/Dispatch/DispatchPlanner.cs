namespace Rex.Gateway.Dispatch;

/// <summary>
/// Decides, for one layer of one micro-batch, which replica runs each (row, expert) slot and in which message.
/// Pure bookkeeping (no tensors, no I/O). Each slot goes to the replica of its expert with the least outstanding
/// work that still has room: room is `ExpertCapacityFactor` times the even share (slots / experts) per replica per
/// message, and `MaxRowsPerSiloMessage` rows per message. A slot that fits no replica goes to the next round
/// (defer) or is skipped (drop); a slot whose expert has no replica in routing is unavailable.
/// Runs every layer of every step: plans are reused (<see cref="Release"/>) and the loops use no LINQ, so a steady
/// step's planning allocates nothing (DispatchPlannerTests measures it; 37.8 KB per plan before, for 16 rows, top-4).
/// </summary>
public sealed class DispatchPlanner(double capacityFactor, int maxRowsPerSiloMessage, CapacityPolicy policy)
{
    readonly Stack<DispatchPlan> spare = new();
    readonly Lock gate = new();

    /// <param name="experts">[rows * topK] expert of each slot.</param>
    /// <param name="weights">[rows * topK] router weight of each slot.</param>
    /// <param name="routes">The replicas of each expert of this layer.</param>
    /// <returns>A plan owned by the caller until it hands it back with <see cref="Release"/>.</returns>
    public DispatchPlan Plan(int rows, int topK, ReadOnlySpan<long> experts, ReadOnlySpan<float> weights, int numExperts, LayerRoutes routes)
    {
        var plan = Rent();
        var capacity = capacityFactor > 0 ? Math.Max(1, (int)Math.Ceiling(capacityFactor * rows * topK / numExperts)) : int.MaxValue;
        for (var slot = 0; slot < rows * topK; slot++)
        {
            var row = slot / topK;
            var expert = (int)experts[slot];
            var replicas = routes.Routable(expert);
            if (replicas.Count == 0)
            {
                plan.AddUnavailable(row, expert);
                continue;
            }
            var leastLoaded = LeastLoaded(plan, replicas, round: -1, row, capacity)!;
            for (var round = 0; ; round++)
            {
                if (LeastLoaded(plan, replicas, round, row, capacity) is { } replica)
                {
                    if (round > 0) plan.DeferredSlots++;
                    else if (replica != leastLoaded) plan.ReroutedSlots++;
                    (plan.MessageTo(round, replica.DataPlane) ?? plan.AddMessage(round, replica.DataPlane)).Add(replica, row, weights[slot]);
                    plan.Assigned[replica] = plan.Assigned.GetValueOrDefault(replica) + 1;
                    break;
                }
                if (policy == CapacityPolicy.Drop)
                {
                    plan.DroppedSlots++;
                    break;
                }
            }
        }
        return plan;
    }

    /// <summary>Takes back a plan whose dispatch is over (nothing reads it any more): the next layer reuses it.</summary>
    public void Release(DispatchPlan plan)
    {
        plan.Clear();
        lock (gate) spare.Push(plan);
    }

    DispatchPlan Rent()
    {
        lock (gate) return spare.TryPop(out var plan) ? plan : new DispatchPlan();
    }

    // The replica with the least outstanding work (ties to the first) among those with room in `round`'s messages
    // for `row`, or among all of them for round -1; none when none has room.
    ReplicaRoute? LeastLoaded(DispatchPlan plan, IReadOnlyList<ReplicaRoute> replicas, int round, int row, int capacity)
    {
        ReplicaRoute? least = null;
        var leastLoad = long.MaxValue;
        for (var i = 0; i < replicas.Count; i++)
        {
            var replica = replicas[i];
            if (round >= 0 && !Fits(plan.MessageTo(round, replica.DataPlane), replica, row, capacity)) continue;
            var load = replica.Outstanding + plan.Assigned.GetValueOrDefault(replica);
            if (load < leastLoad) (least, leastLoad) = (replica, load);
        }
        return least;
    }

    bool Fits(SiloMessagePlan? message, ReplicaRoute replica, int row, int capacity)
    {
        if (message is null) return true;
        if (message.RowsOf(replica) >= capacity) return false;
        return message.Holds(row) || maxRowsPerSiloMessage <= 0 || message.Rows.Count < maxRowsPerSiloMessage;
    }
}
