using Orleans.Runtime;
using Rex.Protos.Grains;

namespace Rex.Silo.Grains;

/// <summary>
/// The placement ledger: remembers which silo each expert replica was placed on, so that placements decided at
/// the same moment (a gateway activating every expert at once) still spread. A silo's load is the bytes and
/// count of the replicas recorded on it; a replica prefers silos that do not already hold another replica of
/// the same expert. A replica keeps its recorded silo while that silo is a candidate (a lost silo is not; a
/// migration's target silo is the only candidate). A draining silo is cordoned: no new replica goes there. It also
/// holds the lease on moving replicas (rebalancing, repair), so only one gateway moves replicas at a time; a lease its gateway stops renewing
/// (the gateway is gone) passes to the next that asks.
/// </summary>
[KeepAlive]
public sealed class ExpertPlacementGrain : Grain, IExpertPlacementGrain
{
    readonly Dictionary<ExpertGrainKey, (SiloAddress Silo, long Bytes)> placed = [];
    readonly HashSet<SiloAddress> cordoned = [];
    string rebalancer = "";
    DateTime rebalancerUntil;

    public Task<SiloAddress> Choose(ExpertGrainKey expert, long bytes, ExpertSiloCandidate[] candidates)
    {
        candidates = [.. candidates.Where(c => !cordoned.Contains(c.Silo))];
        if (candidates.Length == 0) throw new OrleansException($"every live expert silo is draining: nowhere to place {expert}");
        // Two activation attempts can race for one grain (a retried call while the first is still activating);
        // only one activation survives, so both must get the same answer or the ledger drifts from reality.
        if (placed.TryGetValue(expert, out var existing) && candidates.Any(c => c.Silo.Equals(existing.Silo)))
            return Task.FromResult(existing.Silo);
        placed.Remove(expert);
        var chosen = candidates
            .OrderBy(c => placed.Any(p => p.Value.Silo.Equals(c.Silo) && p.Key.SameExpert(expert)) ? 1 : 0)
            .ThenBy(c => Fill(c, bytes))
            .ThenBy(c => placed.Count(p => p.Value.Silo.Equals(c.Silo)))
            .ThenBy(c => c.Silo.ToString(), StringComparer.Ordinal)
            .First();
        placed[expert] = (chosen.Silo, bytes);
        return Task.FromResult(chosen.Silo);
    }

    public Task Release(ExpertGrainKey expert, SiloAddress silo)
    {
        if (placed.TryGetValue(expert, out var entry) && entry.Silo.Equals(silo)) placed.Remove(expert);
        return Task.CompletedTask;
    }

    public Task Cordon(SiloAddress silo)
    {
        cordoned.Add(silo);
        return Task.CompletedTask;
    }

    public Task<RebalanceLease> ClaimRebalance(string gateway, TimeSpan lease)
    {
        var now = DateTime.UtcNow;
        var granted = gateway == rebalancer || now >= rebalancerUntil;
        // A claim never shortens its holder's lease: the rebalancer and the repair of one gateway claim it for different spans.
        if (granted) (rebalancer, rebalancerUntil) = (gateway, now + lease > rebalancerUntil ? now + lease : rebalancerUntil);
        return Task.FromResult(new RebalanceLease(granted, [.. cordoned]));
    }

    // The fraction of the silo's offered memory in use once this expert is added; by bytes alone if it offers none.
    double Fill(ExpertSiloCandidate candidate, long bytes)
    {
        var used = placed.Values.Where(p => p.Silo.Equals(candidate.Silo)).Sum(p => p.Bytes) + bytes;
        return candidate.CapacityBytes > 0 ? (double)used / candidate.CapacityBytes : used;
    }
}
