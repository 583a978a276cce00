using System.Collections.Concurrent;
using Rex.Protos.Grains;

namespace Rex.Silo.Experts;

/// <summary>
/// The expert replicas active on this silo, by key: expert grains add themselves on activation and remove
/// themselves on deactivation; the data plane looks rows' experts up here. Also holds this silo's data-plane
/// address once its server is listening.
/// </summary>
public sealed class ExpertRegistry
{
    readonly ConcurrentDictionary<ExpertGrainKey, HostedExpert> experts = new();
    readonly TaskCompletionSource<string> dataPlane = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Add(HostedExpert expert)
    {
        if (!experts.TryAdd(expert.Key, expert)) throw new InvalidOperationException($"expert {expert.Key} is already hosted here");
    }

    public HostedExpert? Remove(ExpertGrainKey key) => experts.TryRemove(key, out var expert) ? expert : null;

    public bool TryGet(ExpertGrainKey key, out HostedExpert expert) => experts.TryGetValue(key, out expert!);

    public IReadOnlyCollection<HostedExpert> All => [.. experts.Values];

    /// <summary>The data-plane address gateways reach this silo on, once the server listens.</summary>
    public Task<string> DataPlaneAddress => dataPlane.Task;

    public void SetDataPlaneAddress(string address) => dataPlane.TrySetResult(address);
}
