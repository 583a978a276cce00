using System.Collections.Concurrent;
using Rex.Silo.DataPlane;
using Rex.Silo.Security;

namespace Rex.Gateway.Dispatch;

/// <summary>One <see cref="SiloChannel"/> per silo data-plane address, opened on first use; every reply tells `answered` its silo.</summary>
public sealed class SiloChannelPool(DataPlaneSecret secret, ClusterCertificates? certificates, Action<string> answered) : IAsyncDisposable
{
    readonly ConcurrentDictionary<string, Lazy<SiloChannel>> channels = new();

    public SiloChannel For(string address) => channels.GetOrAdd(address, a => new Lazy<SiloChannel>(() => new SiloChannel(a, secret, certificates, answered))).Value;

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in channels.Values)
            if (channel.IsValueCreated) await channel.Value.DisposeAsync();
    }
}
