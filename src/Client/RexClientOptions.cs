using System.Security.Cryptography.X509Certificates;

namespace Rex.Client;

/// <summary>How a <see cref="RexClient"/> reaches a Rex gateway. Only <see cref="Address"/> is required.</summary>
public sealed class RexClientOptions
{
    /// <summary>The gateway, e.g. http://127.0.0.1:50051; https:// addresses use TLS.</summary>
    public required string Address { get; init; }

    /// <summary>Sent as `authorization: Bearer KEY` metadata on every call; null sends none.</summary>
    public string? ApiKey { get; init; }

    /// <summary>A root certificate that server certificates must chain to instead of the system's roots (https only).</summary>
    public X509Certificate2? RootCertificate { get; init; }

    /// <summary>Accepts any server certificate (https only). For development against self-signed servers; never in production.</summary>
    public bool DangerousAcceptAnyServerCertificate { get; init; }

    /// <summary>
    /// The deadline of every call, counted from its start; null sets none. For streamed calls it bounds the whole
    /// stream, so it must cover the longest generation expected. Calls past it fail with DEADLINE_EXCEEDED.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Retries of a call that fails with UNAVAILABLE (server down or restarting, no expert reachable) before it has
    /// received a response; 0 turns retries off. A stream cut by UNAVAILABLE after its first message is also started
    /// again, up to as many times, when its tokens are reproducible (greedy or seeded): the new stream's replay of what
    /// was delivered is checked and skipped, so a gateway lost behind a Service costs time, not the request.
    /// </summary>
    public int MaxRetries { get; init; } = 2;

    /// <summary>
    /// The first retry waits a random time up to this; each later one up to twice the previous bound, at most
    /// <see cref="MaxBackoff"/> (exponential backoff with full jitter). Reconnecting follows the same bounds.
    /// </summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The largest bound of one retry's wait.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(8);
}
