using Rex.Client;

namespace Rex.Tests;

/// <summary>One gateway serving the fixture model as "dbrx-tiny", shared by the tests of a class (an xunit class fixture).</summary>
public sealed class FixtureModelGateway : IAsyncLifetime
{
    GatewayProcess? gateway;

    GatewayProcess Gateway => gateway ?? throw new InvalidOperationException("the gateway has not started");

    public string Address => Gateway.Address;

    public RexClient Client => Gateway.Client;

    public async Task InitializeAsync() => gateway = await GatewayProcess.Start(GatewayProcess.FixtureModel);

    public async Task DisposeAsync()
    {
        if (gateway is not null) await gateway.DisposeAsync();
    }
}
