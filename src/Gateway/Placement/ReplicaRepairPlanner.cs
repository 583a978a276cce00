using Rex.Protos.Grains;

namespace Rex.Gateway.Placement;

/// <summary>
/// What full replication is and how to get back to it. An expert is under-replicated while its replicas stand on
/// fewer distinct silos than it has replicas: one is missing, or two share a silo (two copies on one silo protect
/// nothing against that silo's loss). After a silo loss the lost replicas reactivate on the silos left, next to
/// their siblings; the repair moves every replica after the first of its expert on a silo to a silo that holds none
/// of that expert, the one with the fewest replicas, the experts on the fewest silos first, at most <c>maxMoves</c> at
/// once (each move loads the replica's weights on its new silo).
/// </summary>
public static class ReplicaRepairPlanner
{
    /// <param name="expected">Every replica the experts are configured to have.</param>
    /// <param name="placed">The replicas that are active, each on its silo.</param>
    public static IReadOnlyList<UnderReplicatedExpert> UnderReplicated(IReadOnlyList<ExpertGrainKey> expected, IReadOnlyList<ReplicaPlacement> placed)
    {
        var silos = placed.ToLookup(p => ExpertOf(p.Key), p => p.Silo);
        return
        [
            .. expected.GroupBy(ExpertOf)
                .Select(e => new UnderReplicatedExpert(e.Key.Layer, e.Key.Expert, e.Count(), silos[e.Key].Distinct().Count()))
                .Where(e => e.NumSilos < e.NumReplicas)
                .OrderBy(e => (e.Layer, e.Expert)),
        ];
    }

    /// <param name="placed">The replicas that are active, each on its silo; those on silos outside <paramref name="silos"/> may move but nothing moves to them.</param>
    /// <param name="silos">The silos replicas may move to (those that may take replicas), with or without replicas now.</param>
    public static IReadOnlyList<ExpertMove> Plan(IReadOnlyList<ReplicaPlacement> placed, IReadOnlyCollection<string> silos, int maxMoves)
    {
        var load = silos.Distinct().ToDictionary(s => s, _ => 0);
        foreach (var replica in placed)
            if (load.ContainsKey(replica.Silo)) load[replica.Silo]++;
        var moves = new List<ExpertMove>();
        var experts = placed.GroupBy(p => ExpertOf(p.Key))
            .Select(e => (Expert: e.Key, Replicas: e.ToArray(), NumSilos: e.Select(p => p.Silo).Distinct().Count()))
            .Where(e => e.NumSilos < e.Replicas.Length)
            .OrderBy(e => e.NumSilos).ThenBy(e => (e.Expert.Layer, e.Expert.Expert)).ThenBy(e => e.Expert.Model, StringComparer.Ordinal);
        foreach (var (_, replicas, _) in experts)
        {
            var holding = replicas.Select(p => p.Silo).ToHashSet();
            var surplus = replicas.GroupBy(p => p.Silo).SelectMany(s => s.OrderBy(p => p.Key.Replica).Skip(1)).OrderBy(p => p.Key.Replica);
            foreach (var replica in surplus)
            {
                if (moves.Count == maxMoves) return moves;
                var target = load.Keys.Where(s => !holding.Contains(s)).OrderBy(s => load[s]).ThenBy(s => s, StringComparer.Ordinal).FirstOrDefault();
                if (target is null) break;
                moves.Add(new ExpertMove(replica.Key, replica.Silo, target));
                holding.Add(target);
                load[target]++;
                if (load.ContainsKey(replica.Silo)) load[replica.Silo]--;
            }
        }
        return moves;
    }

    // The expert a replica belongs to, as a key: all its replicas share it.
    static ExpertGrainKey ExpertOf(ExpertGrainKey replica) => replica with { Replica = 0 };
}
