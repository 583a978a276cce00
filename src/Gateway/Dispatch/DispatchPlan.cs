namespace Rex.Gateway.Dispatch;

/// <summary>
/// A layer's dispatch: rounds of messages (round r + 1 is sent once round r has answered), what the capacity
/// limits did (slots moved to another replica, deferred to a later round, or dropped), and the slots whose expert
/// has no replica in routing (every silo holding one stalled): their rows cannot be computed. Reused: the planner
/// hands a plan out and takes it back once its dispatch completed, so its lists and messages keep their capacity
/// from step to step.
/// </summary>
public sealed class DispatchPlan
{
    readonly List<List<SiloMessagePlan>> rounds = [];
    readonly Stack<List<SiloMessagePlan>> spareRounds = new();
    readonly Stack<SiloMessagePlan> spareMessages = new();
    readonly List<(int Row, int Expert)> unavailableSlots = [];

    public IReadOnlyList<IReadOnlyList<SiloMessagePlan>> Rounds => rounds;

    public int ReroutedSlots { get; internal set; }

    public int DeferredSlots { get; internal set; }

    public int DroppedSlots { get; internal set; }

    public IReadOnlyList<(int Row, int Expert)> UnavailableSlots => unavailableSlots;

    /// <summary>The planner's scratch while planning: slots given to each replica so far.</summary>
    internal Dictionary<ReplicaRoute, long> Assigned { get; } = [];

    /// <summary>The message of `round` to `dataPlane`, if the round has one.</summary>
    internal SiloMessagePlan? MessageTo(int round, string dataPlane)
    {
        if (round >= rounds.Count) return null;
        // A round has a message per silo: a handful, where a scan beats hashing the address.
        foreach (var message in rounds[round])
            if (message.DataPlane == dataPlane) return message;
        return null;
    }

    internal SiloMessagePlan AddMessage(int round, string dataPlane)
    {
        while (rounds.Count <= round) rounds.Add(spareRounds.TryPop(out var spare) ? spare : []);
        var message = spareMessages.TryPop(out var reused) ? reused : new SiloMessagePlan(dataPlane);
        message.Reset(dataPlane);
        rounds[round].Add(message);
        return message;
    }

    internal void AddUnavailable(int row, int expert) => unavailableSlots.Add((row, expert));

    /// <summary>Empties the plan for another layer, keeping what it allocated.</summary>
    internal void Clear()
    {
        foreach (var round in rounds)
        {
            foreach (var message in round) spareMessages.Push(message);
            round.Clear();
            spareRounds.Push(round);
        }
        rounds.Clear();
        unavailableSlots.Clear();
        Assigned.Clear();
        (ReroutedSlots, DeferredSlots, DroppedSlots) = (0, 0, 0);
    }
}
