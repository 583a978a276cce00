using Rex.Protos.Grains;

namespace Rex.Gateway.Placement;

/// <summary>One expert replica and the rows it served in the last rebalancing interval, on the silo it lives on.</summary>
public sealed record ReplicaLoad(ExpertGrainKey Key, string Silo, long Rows);

/// <summary>
/// Plans a bounded step toward even expert load over the silos: while the busiest silo serves more than
/// <c>imbalance</c> x the mean and moves are left, move the replica from the busiest silo to the idlest one that best
/// halves the gap between them (a replica of as many rows as the gap or more would only swap their roles), never
/// next to another replica of the same expert. Continuous rebalancing repeats this each interval; each plan moves
/// at most <c>maxMoves</c> replicas, so serving is never disturbed by more than that many reloads at once.
/// </summary>
public static class RebalancePlanner
{
    /// <param name="replicas">Every placed replica with its load; those on silos outside <paramref name="silos"/> stay put and do not count.</param>
    /// <param name="silos">The silos load is balanced over (those that may take replicas), with or without replicas now.</param>
    public static IReadOnlyList<ExpertMove> Plan(IReadOnlyList<ReplicaLoad> replicas, IReadOnlyCollection<string> silos, int maxMoves, double imbalance)
    {
        var load = Loads(replicas, silos);
        var placed = replicas.Where(r => load.ContainsKey(r.Silo)).ToList();
        var moves = new List<ExpertMove>();
        while (moves.Count < maxMoves && load.Count > 1)
        {
            var mean = load.Values.Average();
            var busiest = load.OrderByDescending(s => s.Value).ThenBy(s => s.Key, StringComparer.Ordinal).First();
            var idlest = load.OrderBy(s => s.Value).ThenBy(s => s.Key, StringComparer.Ordinal).First();
            if (mean <= 0 || busiest.Value <= imbalance * mean) break;
            var gap = busiest.Value - idlest.Value;
            var best = placed
                .Where(r => r.Silo == busiest.Key && r.Rows > 0 && r.Rows < gap && !moves.Any(m => m.Key == r.Key))
                .Where(r => !placed.Any(other => other.Silo == idlest.Key && other.Key.SameExpert(r.Key)))
                .OrderBy(r => Math.Abs(2 * r.Rows - gap))
                .ThenBy(r => r.Key.ToString(), StringComparer.Ordinal)
                .FirstOrDefault();
            if (best is null) break;
            moves.Add(new ExpertMove(best.Key, busiest.Key, idlest.Key));
            placed[placed.IndexOf(best)] = best with { Silo = idlest.Key };
            load[busiest.Key] -= best.Rows;
            load[idlest.Key] += best.Rows;
        }
        return moves;
    }

    /// <summary>The busiest silo's load over the mean: 1 is perfectly even.</summary>
    public static double Imbalance(IReadOnlyList<ReplicaLoad> replicas, IReadOnlyCollection<string> silos)
    {
        var load = Loads(replicas, silos);
        var mean = load.Count == 0 ? 0 : load.Values.Average();
        return mean > 0 ? load.Values.Max() / mean : 1;
    }

    static Dictionary<string, long> Loads(IReadOnlyList<ReplicaLoad> replicas, IReadOnlyCollection<string> silos)
    {
        var load = silos.Distinct().ToDictionary(s => s, _ => 0L);
        foreach (var replica in replicas)
            if (load.ContainsKey(replica.Silo)) load[replica.Silo] += replica.Rows;
        return load;
    }
}
