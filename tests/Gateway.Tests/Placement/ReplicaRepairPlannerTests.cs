using Rex.Gateway.Placement;
using Rex.Protos.Grains;

namespace Rex.Gateway.Tests.Placement;

/// <summary>
/// The repair's definition of full replication and its plan: replicas sharing a silo move, a bounded number at once,
/// to silos holding none of their expert, until every expert's replicas stand on distinct silos.
/// </summary>
public sealed class ReplicaRepairPlannerTests
{
    static ExpertGrainKey Key(int layer, int expert, int replica) => new("m", layer, expert, replica);

    static ReplicaPlacement On(string silo, int layer, int expert, int replica) => new(Key(layer, expert, replica), silo);

    // Every replica of `experts` experts (layer 0) with `replicas` replicas each.
    static ExpertGrainKey[] Expected(int experts, int replicas) =>
        [.. Enumerable.Range(0, experts).SelectMany(e => Enumerable.Range(0, replicas).Select(r => Key(0, e, r)))];

    static List<ReplicaPlacement> AllOn(string silo, IEnumerable<ExpertGrainKey> keys) => [.. keys.Select(k => new ReplicaPlacement(k, silo))];

    static void Apply(List<ReplicaPlacement> placed, IEnumerable<ExpertMove> moves)
    {
        foreach (var move in moves)
        {
            var index = placed.FindIndex(p => p.Key == move.Key);
            Assert.Equal(move.From, placed[index].Silo);
            placed[index] = placed[index] with { Silo = move.To };
        }
    }

    [Fact]
    public void ReplicasOnDistinctSilosAreFullyReplicatedAndStay()
    {
        ReplicaPlacement[] placed = [On("a", 0, 0, 0), On("b", 0, 0, 1), On("b", 0, 1, 0), On("c", 0, 1, 1)];
        Assert.Empty(ReplicaRepairPlanner.UnderReplicated(Expected(2, 2), placed));
        Assert.Empty(ReplicaRepairPlanner.Plan(placed, ["a", "b", "c"], maxMoves: 4));
    }

    [Fact]
    public void ReplicasSharingASiloAndMissingReplicasAreUnderReplicated()
    {
        // Expert 0: both replicas on a. Expert 1: one replica lost and not yet active again. Expert 2: fine.
        ReplicaPlacement[] placed = [On("a", 0, 0, 0), On("a", 0, 0, 1), On("b", 0, 1, 0), On("a", 0, 2, 0), On("b", 0, 2, 1)];
        var under = ReplicaRepairPlanner.UnderReplicated(Expected(3, 2), placed);
        Assert.Equal([new UnderReplicatedExpert(0, 0, 2, 1), new UnderReplicatedExpert(0, 1, 2, 1)], under);
    }

    [Fact]
    public void AfterLosingTwoOfThreeSilosTheReplacementsGetOneReplicaOfEveryExpertEvenly()
    {
        var placed = AllOn("a", Expected(16, 2));
        var moves = ReplicaRepairPlanner.Plan(placed, ["a", "b", "c"], maxMoves: 100);

        Assert.Equal(16, moves.Count);
        Assert.All(moves, m => Assert.Equal(1, m.Key.Replica));
        Assert.Equal(8, moves.Count(m => m.To == "b"));
        Assert.Equal(8, moves.Count(m => m.To == "c"));
        Apply(placed, moves);
        Assert.Empty(ReplicaRepairPlanner.UnderReplicated(Expected(16, 2), placed));
    }

    [Fact]
    public void NoMoreThanMaxMovesAtOnceAndRepeatedPlansRestoreFullReplication()
    {
        var placed = AllOn("a", Expected(16, 3));
        for (var round = 0; round < 20; round++)
        {
            var moves = ReplicaRepairPlanner.Plan(placed, ["a", "b", "c", "d"], maxMoves: 3);
            Assert.True(moves.Count <= 3);
            Assert.Equal(moves.Count, moves.Select(m => m.Key).Distinct().Count());
            if (moves.Count == 0) break;
            Apply(placed, moves);
        }
        Assert.Empty(ReplicaRepairPlanner.UnderReplicated(Expected(16, 3), placed));
        Assert.Empty(ReplicaRepairPlanner.Plan(placed, ["a", "b", "c", "d"], maxMoves: 3));
    }

    [Fact]
    public void WithNowhereToGoNothingMovesButTheExpertsStayUnderReplicated()
    {
        var placed = AllOn("a", Expected(4, 2));
        Assert.Empty(ReplicaRepairPlanner.Plan(placed, ["a"], maxMoves: 4));
        Assert.Equal(4, ReplicaRepairPlanner.UnderReplicated(Expected(4, 2), placed).Count);
    }

    [Fact]
    public void MoreReplicasThanSilosSpreadAsFarAsTheSilosGo()
    {
        var placed = AllOn("a", Expected(1, 3));
        var move = Assert.Single(ReplicaRepairPlanner.Plan(placed, ["a", "b"], maxMoves: 4));
        Assert.Equal(new ExpertMove(Key(0, 0, 1), "a", "b"), move);
        Apply(placed, [move]);
        Assert.Empty(ReplicaRepairPlanner.Plan(placed, ["a", "b"], maxMoves: 4));
        Assert.Equal([new UnderReplicatedExpert(0, 0, 3, 2)], ReplicaRepairPlanner.UnderReplicated(Expected(1, 3), placed));
    }

    [Fact]
    public void TheExpertOnTheFewestSilosMovesFirst()
    {
        // Expert 0's three replicas share a; expert 1's stand on a (two) and b.
        ReplicaPlacement[] placed = [On("a", 0, 1, 0), On("a", 0, 1, 1), On("b", 0, 1, 2), On("a", 0, 0, 0), On("a", 0, 0, 1), On("a", 0, 0, 2)];
        var move = Assert.Single(ReplicaRepairPlanner.Plan(placed, ["a", "b", "c"], maxMoves: 1));
        Assert.Equal(Key(0, 0, 1), move.Key);
    }

    [Fact]
    public void AReplicaGoesToTheLeastFilledSiloWithoutItsExpert()
    {
        // b holds expert 0's third replica already; c is emptier than d.
        ReplicaPlacement[] placed = [On("a", 0, 0, 0), On("a", 0, 0, 1), On("b", 0, 0, 2), On("d", 0, 1, 0), On("d", 0, 2, 0), On("c", 0, 3, 0)];
        var move = Assert.Single(ReplicaRepairPlanner.Plan(placed, ["a", "b", "c", "d"], maxMoves: 4));
        Assert.Equal(new ExpertMove(Key(0, 0, 1), "a", "c"), move);
    }

    [Fact]
    public void ReplicasMayLeaveASiloOutsideTheTargetsButNoneGoesThere()
    {
        // e is cordoned (draining): it holds both replicas of expert 0 and, empty otherwise, takes nothing.
        ReplicaPlacement[] placed = [On("e", 0, 0, 0), On("e", 0, 0, 1), On("a", 0, 1, 0), On("b", 0, 1, 1), On("a", 0, 2, 0), On("a", 0, 2, 1)];
        var moves = ReplicaRepairPlanner.Plan(placed, ["a", "b"], maxMoves: 4);
        Assert.Equal([new ExpertMove(Key(0, 0, 1), "e", "b"), new ExpertMove(Key(0, 2, 1), "a", "b")], moves);
    }
}
