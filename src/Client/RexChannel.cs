using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;

namespace Rex.Client;

/// <summary>Validates <see cref="RexClientOptions"/> and turns them into a gRPC channel: TLS, retries, reconnect backoff.</summary>
internal static class RexChannel
{
    /// <param name="options">The options to validate and apply.</param>
    /// <param name="parameter">The caller's parameter that carried them, named in validation errors.</param>
    public static GrpcChannel Create(RexClientOptions options, string parameter)
    {
        if (!Uri.TryCreate(options.Address, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
            throw new ArgumentException($"server address '{options.Address}' is not an http:// or https:// URL", parameter);
        var isTls = address.Scheme == "https";
        Require(isTls || (options.RootCertificate is null && !options.DangerousAcceptAnyServerCertificate), parameter,
            $"RootCertificate and DangerousAcceptAnyServerCertificate apply to https:// addresses, not '{options.Address}'");
        Require(options.RootCertificate is null || !options.DangerousAcceptAnyServerCertificate, parameter,
            "give RootCertificate or DangerousAcceptAnyServerCertificate, not both");
        Require(options.Timeout is not { } timeout || timeout > TimeSpan.Zero, parameter, $"Timeout must be positive, got {options.Timeout}");
        Require(options.MaxRetries >= 0, parameter, $"MaxRetries must be at least 0, got {options.MaxRetries}");
        Require(options.InitialBackoff > TimeSpan.Zero, parameter, $"InitialBackoff must be positive, got {options.InitialBackoff}");
        Require(options.MaxBackoff >= options.InitialBackoff, parameter,
            $"MaxBackoff must be at least InitialBackoff ({options.InitialBackoff}), got {options.MaxBackoff}");

        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = Handler(options),
            DisposeHttpClient = true,
            ServiceConfig = options.MaxRetries > 0 ? RetryOnUnavailable(options) : null,
            MaxRetryAttempts = options.MaxRetries + 1,
            // Retries fail fast while the channel waits to reconnect, so the two backoffs share their bounds: a
            // server that comes back is reconnected to within the retries' window.
            InitialReconnectBackoff = options.InitialBackoff,
            MaxReconnectBackoff = options.MaxBackoff,
        });
    }

    static SocketsHttpHandler Handler(RexClientOptions options)
    {
        // One HTTP/2 connection carries at most the server's stream limit (Kestrel: 100) of concurrent calls; more
        // connections keep a client shared by hundreds of concurrent streams from queueing behind that limit.
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        if (options.DangerousAcceptAnyServerCertificate)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        else if (options.RootCertificate is { } root)
            handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { root },
            };
        return handler;
    }

    // gRPC's own retry policy (not a loop around calls): it re-sends a call, streamed ones included, until the
    // call has received response headers, waiting a random time up to a bound that doubles after each attempt.
    static ServiceConfig RetryOnUnavailable(RexClientOptions options) => new()
    {
        MethodConfigs =
        {
            new MethodConfig
            {
                Names = { MethodName.Default },
                RetryPolicy = new RetryPolicy
                {
                    MaxAttempts = options.MaxRetries + 1,
                    InitialBackoff = options.InitialBackoff,
                    MaxBackoff = options.MaxBackoff,
                    BackoffMultiplier = 2,
                    RetryableStatusCodes = { StatusCode.Unavailable },
                },
            },
        },
    };

    static void Require(bool condition, string parameter, string message)
    {
        if (!condition) throw new ArgumentException(message, parameter);
    }
}
