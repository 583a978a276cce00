using Rex.Protos.Api;
using Rex.Tests;

namespace Rex.Cli.Tests.Commands;

/// <summary>`rex serve` is the gateway program: same settings, same announcement, same answers.</summary>
public sealed class ServeCommandTests
{
    [Fact]
    public async Task ServeRunsTheGatewayWithItsSettings()
    {
        await using var served = await GatewayProcess.Start(GatewayProcess.FixtureModel, program: ["rex.dll", "serve"]);
        // --Rex:ModelName reached the gateway's configuration.
        Assert.Equal("dbrx-tiny", Assert.Single((await served.Client.ListModelsAsync()).Models).Id);
        // tests/fixtures/dbrx-tiny/expected.json: the greedy continuation of [100257] (GenerateCommandTests).
        var response = await served.Client.GenerateAsync(new GenerateRequest
        {
            TokenIds = new TokenIds { Ids = { 100257 } }, Sampling = new SamplingParameters { MaxTokens = 4 },
        });
        Assert.Equal([1375, 14031, 14031, 91929], response.TokenIds);
    }
}
