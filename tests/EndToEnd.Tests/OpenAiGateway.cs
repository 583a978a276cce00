using Rex.Client;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// A gateway process on the fixture model, reached over its OpenAI-compatible HTTP API (and over gRPC, to compare),
/// shared by the tests of one class.
/// </summary>
public abstract class OpenAiGateway(string? apiKey) : IAsyncLifetime
{
    GatewayProcess? gateway;

    /// <summary>The open gateway: no API key.</summary>
    public sealed class Open() : OpenAiGateway(null);

    /// <summary>A gateway started with `--Rex:ApiKey=secret`.</summary>
    public sealed class Keyed() : OpenAiGateway(Key)
    {
        public const string Key = "secret";
    }

    GatewayProcess Gateway => gateway ?? throw new InvalidOperationException("the gateway has not started");

    /// <summary>The API's base, http://127.0.0.1:PORT/v1, as the gateway prints it.</summary>
    public string V1 => Gateway.OpenAiBase;

    /// <summary>The HTTP listener's root (for /health).</summary>
    public Uri Root => new(V1[..^"v1".Length]);

    public HttpClient Http { get; } = new();

    public RexClient Client => Gateway.Client;

    public async Task InitializeAsync() => gateway = await GatewayProcess.Start(GatewayProcess.FixtureModel, apiKey);

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (gateway is not null) await gateway.DisposeAsync();
    }
}
