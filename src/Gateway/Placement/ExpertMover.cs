using Orleans.Runtime;
using Rex.Gateway.Dispatch;
using Rex.Protos.Grains;

namespace Rex.Gateway.Placement;

/// <summary>
/// Moves expert replicas to the silos a plan names, by Orleans migration (the replica deactivates on its silo and
/// activates on the named one, loading its weights there), for the rebalancer and the repair. Only the gateway
/// holding the placement ledger's lease moves replicas: two would move the same ones.
/// </summary>
public sealed class ExpertMover(ExpertDirectory directory, IGrainFactory grains, string gateway)
{
    /// <summary>
    /// Takes or renews the ledger's lease for <paramref name="lease"/> from now and returns the silos replicas may move
    /// to, by name: the expert silos placement can use, less the cordoned (draining) ones; null while another gateway
    /// holds the lease.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, SiloAddress>?> Claim(TimeSpan lease, CancellationToken cancellationToken)
    {
        var answer = await grains.GetGrain<IExpertPlacementGrain>(IExpertPlacementGrain.LedgerKey).ClaimRebalance(gateway, lease)
            .WaitAsync(cancellationToken);
        if (!answer.Granted) return null;
        var cordoned = answer.Cordoned.Select(s => s.ToString()).ToHashSet();
        return directory.ExpertSilos().Where(s => !cordoned.Contains(s.ToString())).ToDictionary(s => s.ToString());
    }

    /// <summary>Asks the replica to move to <paramref name="to"/> once idle; returns before it has.</summary>
    public Task Move(ExpertMove move, SiloAddress to, CancellationToken cancellationToken) =>
        grains.GetGrain<IExpertGrain>(move.Key.ToString()).Move(to).WaitAsync(cancellationToken);

    /// <summary>The silo the replica lives on now (activating it if it is not active).</summary>
    public async Task<string> Locate(ExpertGrainKey key, CancellationToken cancellationToken) =>
        (await grains.GetGrain<IExpertGrain>(key.ToString()).Describe().WaitAsync(cancellationToken)).Silo;
}
