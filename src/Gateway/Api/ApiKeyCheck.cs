using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Rex.Gateway.Hosting;

namespace Rex.Gateway.Api;

/// <summary>
/// The API key every public call must carry as `authorization: Bearer KEY` when `ApiKey` is set (as vLLM's
/// --api-key). Compared in constant time so the answer's timing says nothing about the key.
/// </summary>
public sealed class ApiKeyCheck(IOptions<GatewayOptions> options)
{
    readonly byte[]? expected = string.IsNullOrEmpty(options.Value.ApiKey) ? null : Encoding.UTF8.GetBytes("Bearer " + options.Value.ApiKey);

    public bool IsRequired => expected is not null;

    public bool IsAuthorized(string? authorization) =>
        expected is null || (authorization is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(authorization), expected));
}
