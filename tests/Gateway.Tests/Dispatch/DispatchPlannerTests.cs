using Rex.Gateway.Dispatch;
using Rex.Protos.Grains;

namespace Rex.Gateway.Tests.Dispatch;

public sealed class DispatchPlannerTests
{
    // Layer 0 of a table: replicasPerExpert replicas of each of `experts` experts; replica r of every expert lives on
    // silo "s{r}" unless `silo` says otherwise.
    static RoutingTable Table(int experts, int replicasPerExpert, Func<int, int, string>? silo = null) =>
        new([Enumerable.Range(0, experts).Select(e => Enumerable.Range(0, replicasPerExpert)
            .Select(r => new ReplicaRoute(new ExpertGrainKey("m", 0, e, r), silo?.Invoke(e, r) ?? $"s{r}")).ToArray()).ToArray()]);

    static LayerRoutes Routes(RoutingTable table, SiloHealth? health = null) => new(table, 0, health ?? new SiloHealth(3, new DispatchCounters()));

    static LayerRoutes Routes(int experts, int replicasPerExpert, Func<int, int, string>? silo = null) => Routes(Table(experts, replicasPerExpert, silo));

    static ReplicaRoute Replica(RoutingTable table, int expert, int replica) => table.Route(new ExpertGrainKey("m", 0, expert, replica));

    static IEnumerable<(int Row, int Expert, int Replica, float Weight, string Silo)> Slots(DispatchPlan plan, int round) =>
        plan.Rounds[round].SelectMany(m => m.Slices.SelectMany(s => s.LocalRows.Select((local, i) =>
            (m.Rows[local], s.Route.Key.Expert, s.Route.Key.Replica, s.Weights[i], m.DataPlane))));

    [Fact]
    public void OneMessagePerSiloCarryingEveryExpertItHosts()
    {
        long[] experts = [0, 1, 2, 3, 0, 2];
        float[] weights = [0.5f, 0.5f, 0.9f, 0.1f, 0.7f, 0.3f];
        var plan = new DispatchPlanner(0, 0, CapacityPolicy.Defer).Plan(3, 2, experts, weights, 4, Routes(4, 1, (e, _) => e % 2 == 0 ? "even" : "odd"));
        Assert.Single(plan.Rounds);
        Assert.Equal(["even", "odd"], plan.Rounds[0].Select(m => m.DataPlane).Order());
        var even = plan.Rounds[0].Single(m => m.DataPlane == "even");
        Assert.Equal([0, 1, 2], even.Rows.Order()); // every row has an even expert
        Assert.Equal([(0, 0, 0.5f), (1, 2, 0.9f), (2, 0, 0.7f), (2, 2, 0.3f)],
            Slots(plan, 0).Where(s => s.Silo == "even").Select(s => (s.Row, s.Expert, s.Weight)).Order());
        Assert.Equal((0, 0, 0), (plan.ReroutedSlots, plan.DeferredSlots, plan.DroppedSlots));
    }

    [Fact]
    public void ReplicasShareAnExpertsRowsByLeastOutstandingWork()
    {
        var table = Table(1, 2);
        Replica(table, 0, 1).AddOutstanding(3); // replica 1 is busy with another micro-batch
        var plan = new DispatchPlanner(0, 0, CapacityPolicy.Defer).Plan(8, 1, new long[8], Enumerable.Repeat(1f, 8).ToArray(), 1, Routes(table));
        var perReplica = Slots(plan, 0).GroupBy(s => s.Replica).ToDictionary(g => g.Key, g => g.Count());
        // Replica 0 catches up with the busy one's 3, then they alternate, ties to the first: 6 vs 2 + 3.
        Assert.Equal(new Dictionary<int, int> { [0] = 6, [1] = 2 }, perReplica);
    }

    [Fact]
    public void OverCapacityGoesToAnotherReplicaThenALaterRound()
    {
        // 8 rows, top-1, 2 experts: the even share is 4 slots per expert; factor 0.5 allows 2 per replica per message.
        var experts = Enumerable.Repeat(0L, 8).ToArray();
        var plan = new DispatchPlanner(0.5, 0, CapacityPolicy.Defer).Plan(8, 1, experts, Enumerable.Repeat(1f, 8).ToArray(), 2, Routes(2, 2));
        Assert.Equal(2, plan.Rounds.Count); // 2 replicas x 2 rows per round
        Assert.All(plan.Rounds, round => Assert.All(round.SelectMany(m => m.Slices), s => Assert.True(s.LocalRows.Count <= 2)));
        Assert.Equal(8, Enumerable.Range(0, plan.Rounds.Count).Sum(r => Slots(plan, r).Count())); // nothing lost
        Assert.Equal(4, plan.DeferredSlots);
        Assert.Equal(0, plan.DroppedSlots);
    }

    [Fact]
    public void ReroutingIsCountedWhenTheLeastLoadedReplicaIsFull()
    {
        var table = Table(1, 2);
        Replica(table, 0, 1).AddOutstanding(100);
        // Capacity 1 per replica: the idle replica 0 takes the first slot, the busy replica 1 the second.
        var plan = new DispatchPlanner(1, 0, CapacityPolicy.Defer).Plan(2, 1, new long[2], [1f, 1f], 2, Routes(table));
        Assert.Single(plan.Rounds);
        Assert.Equal(1, plan.ReroutedSlots);
    }

    [Fact]
    public void TheDropPolicySkipsWhatFitsNoReplicaAndCountsIt()
    {
        var plan = new DispatchPlanner(0.5, 0, CapacityPolicy.Drop).Plan(8, 1, new long[8], Enumerable.Repeat(1f, 8).ToArray(), 2, Routes(2, 1));
        Assert.Single(plan.Rounds);
        Assert.Equal(2, Slots(plan, 0).Count());
        Assert.Equal(6, plan.DroppedSlots);
    }

    [Fact]
    public void MaxRowsPerSiloMessageSplitsMessages()
    {
        var plan = new DispatchPlanner(0, 3, CapacityPolicy.Defer).Plan(7, 1, new long[7], Enumerable.Repeat(1f, 7).ToArray(), 1, Routes(1, 1));
        Assert.Equal([3, 3, 1], plan.Rounds.Select(r => r.Single().Rows.Count));
        Assert.Equal(4, plan.DeferredSlots);
    }

    [Fact]
    public void SlotsOfAnExpertWithNoReplicaInRoutingAreUnavailableAndTheRestArePlanned()
    {
        // Expert 1's only silo stalled (missed 3 deadlines in a row: out of routing): rows 0 and 2 chose it; row 1 did not.
        var health = new SiloHealth(3, new DispatchCounters());
        for (var miss = 0; miss < 3; miss++) health.Missed("stalled");
        long[] experts = [0, 1, 0, 0, 1, 0];
        var plan = new DispatchPlanner(0, 0, CapacityPolicy.Defer).Plan(3, 2, experts, Enumerable.Repeat(0.5f, 6).ToArray(), 2,
            Routes(Table(2, 1, (e, _) => e == 1 ? "stalled" : "s0"), health));
        Assert.Equal([(0, 1), (2, 1)], plan.UnavailableSlots);
        Assert.Equal([0, 1, 2], plan.Rounds.Single().Single().Rows.Order());
    }

    [Fact]
    public void AReleasedPlanComesBackEmpty()
    {
        var planner = new DispatchPlanner(0.5, 0, CapacityPolicy.Defer);
        var health = new SiloHealth(1, new DispatchCounters());
        health.Missed("stalled");
        // Two rounds, deferred slots and an unavailable slot, then a plan of one slot on the same planner.
        var first = planner.Plan(8, 1, [0, 0, 0, 0, 0, 0, 0, 1], Enumerable.Repeat(1f, 8).ToArray(), 2,
            Routes(Table(2, 1, (e, _) => e == 1 ? "stalled" : "s0"), health));
        Assert.Equal((4, 5, 1), (first.Rounds.Count, first.DeferredSlots, first.UnavailableSlots.Count)); // 2 slots of expert 0 per round
        planner.Release(first);

        var second = planner.Plan(1, 1, [1], [0.5f], 2, Routes(2, 1));
        Assert.Same(first, second);
        Assert.Equal([(0, 1, 0, 0.5f, "s0")], Slots(second, 0));
        Assert.Single(second.Rounds);
        Assert.Single(second.Rounds[0]);
        Assert.Empty(second.UnavailableSlots);
        Assert.Equal((0, 0, 0), (second.ReroutedSlots, second.DeferredSlots, second.DroppedSlots));
    }

    [Fact]
    public void ASteadyStatePlanAllocatesNothing()
    {
        // A decode step's layer: 16 rows, top-4 of 16 experts, 2 replicas each over 3 silos, the capacity limit on;
        // four routings taken in turn, as steps route differently.
        const int rows = 16, topK = 4, numExperts = 16;
        var routes = Routes(numExperts, 2, (e, r) => $"s{(e + r) % 3}");
        var random = new Random(1);
        var routings = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, rows * topK).Select(_ => (long)random.Next(numExperts)).ToArray()).ToArray();
        var weights = Enumerable.Repeat(0.25f, rows * topK).ToArray();
        var planner = new DispatchPlanner(1.25, 0, CapacityPolicy.Defer);
        // The first plans grow the reused lists and dictionaries to the layer's size.
        for (var i = 0; i < 16; i++) planner.Release(planner.Plan(rows, topK, routings[i % 4], weights, numExperts, routes));

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++) planner.Release(planner.Plan(rows, topK, routings[i % 4], weights, numExperts, routes));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
