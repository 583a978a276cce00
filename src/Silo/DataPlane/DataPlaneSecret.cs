using Grpc.Core;
using Rex.Silo.Hosting;

namespace Rex.Silo.DataPlane;

/// <summary>
/// The shared secret gateways present to expert silos on the data plane (`DataPlaneSecret`, the same on every
/// process), so nothing else on the network can feed rows to experts or read their outputs. Empty: not required
/// (one machine, tests). Compared as SHA-256 digests in constant time: the answer's timing says nothing about the
/// secret, not even its length.
/// </summary>
public sealed class DataPlaneSecret(string secret)
{
    public const string Header = "x-rex-data-plane-secret";

    readonly SecretDigest digest = new(secret);

    /// <summary>What a gateway sends on every stream it opens.</summary>
    public Metadata Headers => secret.Length == 0 ? [] : new Metadata { { Header, secret } };

    public bool IsAuthorized(string? presented) => digest.Admits(presented);
}
