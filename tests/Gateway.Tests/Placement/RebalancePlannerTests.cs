using Rex.Gateway.Placement;
using Rex.Protos.Grains;

namespace Rex.Gateway.Tests.Placement;

/// <summary>The rebalancer's plan: bounded moves from the busiest silo to the idlest, only where they even the load.</summary>
public sealed class RebalancePlannerTests
{
    static ReplicaLoad Load(int layer, int expert, string silo, long rows, int replica = 0) => new(new ExpertGrainKey("m", layer, expert, replica), silo, rows);

    [Fact]
    public void AnEvenClusterIsLeftAlone()
    {
        ReplicaLoad[] replicas = [Load(0, 0, "a", 100), Load(0, 1, "b", 110), Load(0, 2, "c", 95)];
        Assert.Empty(RebalancePlanner.Plan(replicas, ["a", "b", "c"], maxMoves: 4, imbalance: 1.25));
    }

    [Fact]
    public void TheReplicaNearestHalfTheGapMovesFromTheBusiestSiloToTheIdlest()
    {
        // a: 300, b: 100, c: 0 (a silo that just joined). The gap a-c is 300: the 150-row replica halves it.
        ReplicaLoad[] replicas = [Load(0, 0, "a", 140), Load(0, 1, "a", 150), Load(0, 2, "a", 10), Load(0, 3, "b", 100)];
        var move = Assert.Single(RebalancePlanner.Plan(replicas, ["a", "b", "c"], maxMoves: 1, imbalance: 1.25));
        Assert.Equal(new ExpertMove(new ExpertGrainKey("m", 0, 1, 0), "a", "c"), move);
    }

    [Fact]
    public void NoMoreThanMaxMovesPerPlan()
    {
        var replicas = Enumerable.Range(0, 16).Select(e => Load(0, e, "a", 10)).ToArray();
        var moves = RebalancePlanner.Plan(replicas, ["a", "b", "c", "d"], maxMoves: 3, imbalance: 1.25);
        Assert.Equal(3, moves.Count);
        Assert.All(moves, m => Assert.Equal("a", m.From));
        Assert.Equal(["b", "c", "d"], moves.Select(m => m.To).Order());
    }

    [Fact]
    public void RepeatedPlansConvergeWithinTheImbalance()
    {
        var replicas = Enumerable.Range(0, 32).Select(e => Load(e / 16, e % 16, "a", 5 + e % 7 * 3)).ToList();
        string[] silos = ["a", "b", "c"];
        for (var round = 0; round < 40; round++)
        {
            var moves = RebalancePlanner.Plan(replicas, silos, maxMoves: 2, imbalance: 1.1);
            Assert.True(moves.Count <= 2);
            if (moves.Count == 0) break;
            foreach (var move in moves)
            {
                var index = replicas.FindIndex(r => r.Key == move.Key);
                replicas[index] = replicas[index] with { Silo = move.To };
            }
        }
        Assert.Empty(RebalancePlanner.Plan(replicas, silos, maxMoves: 2, imbalance: 1.1));
        Assert.True(RebalancePlanner.Imbalance(replicas, silos) <= 1.1, $"imbalance {RebalancePlanner.Imbalance(replicas, silos):F2}");
    }

    [Fact]
    public void AReplicaHotterThanTheGapStays()
    {
        // Moving the 500-row replica would only make c the busiest silo.
        ReplicaLoad[] replicas = [Load(0, 0, "a", 500), Load(0, 1, "b", 200), Load(0, 2, "c", 150)];
        Assert.Empty(RebalancePlanner.Plan(replicas, ["a", "b", "c"], maxMoves: 2, imbalance: 1.25));
    }

    [Fact]
    public void ReplicasOfOneExpertNeverShareASilo()
    {
        // Expert 0/0's first replica halves the gap best, but its second lives on b: the other replica moves instead.
        ReplicaLoad[] replicas = [Load(0, 0, "a", 80), Load(0, 1, "a", 140), Load(0, 0, "b", 10, replica: 1)];
        var move = Assert.Single(RebalancePlanner.Plan(replicas, ["a", "b"], maxMoves: 1, imbalance: 1.1));
        Assert.Equal((new ExpertGrainKey("m", 0, 1, 0), "b"), (move.Key, move.To));
    }

    [Fact]
    public void SilosOutsideTheBalancedSetNeitherGiveNorTake()
    {
        // d is cordoned (draining): its replica stays out of the plan and nothing moves to it.
        ReplicaLoad[] replicas = [Load(0, 0, "a", 100), Load(0, 1, "a", 90), Load(0, 2, "d", 1000)];
        var move = Assert.Single(RebalancePlanner.Plan(replicas, ["a", "b"], maxMoves: 5, imbalance: 1.25));
        Assert.Equal(("a", "b"), (move.From, move.To));
    }
}
