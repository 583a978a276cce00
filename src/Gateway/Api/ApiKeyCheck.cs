using Microsoft.Extensions.Options;
using Rex.Gateway.Hosting;
using Rex.Silo.Hosting;

namespace Rex.Gateway.Api;

/// <summary>
/// The API key every public call must carry as `authorization: Bearer KEY` when `ApiKey` is set (as vLLM's
/// --api-key). The scheme's name is case-insensitive (RFC 6750, after RFC 7235: `bearer KEY` and `BEARER KEY`
/// pass too); the key is compared as a SHA-256 digest in constant time, so the answer's timing says nothing about
/// the key, not even its length.
/// </summary>
public sealed class ApiKeyCheck(IOptions<GatewayOptions> options)
{
    const string Scheme = "Bearer ";

    readonly SecretDigest key = new(options.Value.ApiKey);

    public bool IsRequired => key.IsRequired;

    public bool IsAuthorized(string? authorization) =>
        !key.IsRequired
        || (authorization is not null && authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) && key.Admits(authorization[Scheme.Length..]));
}
