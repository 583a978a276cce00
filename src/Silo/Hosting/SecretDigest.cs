using System.Security.Cryptography;
using System.Text;

namespace Rex.Silo.Hosting;

/// <summary>
/// A secret kept as its SHA-256 digest and compared with a presented one in constant time. Both digests have one
/// size, so unlike a fixed-time comparison of the raw bytes (which returns at once on a length mismatch) the
/// answer's timing says nothing about the secret, not even its length. Empty: no secret is required.
/// </summary>
public sealed class SecretDigest(string secret)
{
    readonly byte[]? digest = secret.Length == 0 ? null : SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public bool IsRequired => digest is not null;

    /// <summary>Whether `presented` is the secret; anything passes when none is required, nothing (null) never does otherwise.</summary>
    public bool Admits(string? presented) =>
        digest is null || (presented is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), digest));
}
