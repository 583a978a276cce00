using Rex.Gateway.Dispatch;
using Rex.Protos.Grains;

namespace Rex.Gateway.Tests.Dispatch;

public sealed class RoutingTableTests
{
    static ExpertGrainKey Key(int layer, int expert, int replica) => new("m", layer, expert, replica);

    // Layer 0 dense (no experts), layer 1 with 2 experts of 2 replicas: expert 0 on "a" and "b", expert 1 unplaced.
    static RoutingTable Table() => new([
        [],
        [
            [new ReplicaRoute(Key(1, 0, 0), "a"), new ReplicaRoute(Key(1, 0, 1), "b")],
            [new ReplicaRoute(Key(1, 1, 0), ""), new ReplicaRoute(Key(1, 1, 1), "")],
        ],
    ]);

    static SiloHealth Health() => new(2, new DispatchCounters());

    [Fact]
    public void OnlyPlacedReplicasAreRoutedAndAnExpertWithNoneWaitsOnAllOfThem()
    {
        var table = Table();
        Assert.Equal(2, table.NumPlaced);
        Assert.False(table.IsUnplaced(0)); // dense: nothing to place
        Assert.False(table.IsUnplaced(1));
        Assert.Equal(["a", "b"], table.Replicas(1, 0, Health()).Select(r => r.DataPlane));
        Assert.Empty(table.Replicas(1, 1, Health()));
        // Unplaced everywhere: the plan targets the unplaced replicas, whose message waits for a placement.
        Assert.Equal([Key(1, 1, 0), Key(1, 1, 1)], table.Routable(1, 1, Health()).Select(r => r.Key));
    }

    [Fact]
    public void SuspectSilosAreAvoidedWhileAnotherReplicaAnswersAndSilosOutOfRoutingAreNotRouted()
    {
        var table = Table();
        var health = Health();
        health.Missed("a");
        Assert.Equal(["b"], table.Routable(1, 0, health).Select(r => r.DataPlane));
        health.Missed("b");
        Assert.Equal(["a", "b"], table.Routable(1, 0, health).Select(r => r.DataPlane)); // both suspect: both still serve
        health.Missed("a");
        Assert.Equal(["b"], table.Routable(1, 0, health).Select(r => r.DataPlane)); // "a" is out, "b" only suspect
        health.Missed("b");
        Assert.Empty(table.Routable(1, 0, health)); // placed, all out of routing: its rows fail at once
        health.Answered("a");
        Assert.Equal(["a"], table.Routable(1, 0, health).Select(r => r.DataPlane));
    }

    [Fact]
    public void AChangeMakesANewTableAndLeavesTheOldOneAsItWas()
    {
        var table = Table();
        var moved = table.With(r => r.Key == Key(1, 0, 0) ? r.At("c") : r.Key.Expert == 1 ? r.At("d") : r);

        Assert.Equal(["a", "b"], table.Replicas(1, 0, Health()).Select(r => r.DataPlane));
        Assert.Equal(2, table.NumPlaced);
        Assert.Equal(["c", "b"], moved.Replicas(1, 0, Health()).Select(r => r.DataPlane));
        Assert.Equal(4, moved.NumPlaced);
        Assert.Same(table.Route(Key(1, 0, 1)), moved.Route(Key(1, 0, 1))); // unchanged routes are shared
        Assert.Same(table, table.With(r => r.At(r.DataPlane))); // no change, no new table
    }

    [Fact]
    public void ALayerWithNoPlacedReplicaIsUnplaced()
    {
        var table = Table().With(r => r.At(""));
        Assert.True(table.IsUnplaced(1));
        Assert.False(table.IsUnplaced(0));
        Assert.Equal(0, table.NumPlaced);
    }

    [Fact]
    public void AMovedReplicaKeepsItsRowsInFlight()
    {
        var table = Table();
        var before = table.Route(Key(1, 0, 0));
        before.AddOutstanding(5);
        var after = table.With(r => r.At("c")).Route(Key(1, 0, 0));

        Assert.NotSame(before, after);
        Assert.Equal(5, after.Outstanding);
        before.AddOutstanding(-5); // the reply to a message sent before the move
        Assert.Equal(0, after.Outstanding);
    }
}
