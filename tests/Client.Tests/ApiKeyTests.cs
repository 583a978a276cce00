using Grpc.Core;
using Rex.Protos.Api;
using Rex.Tests;

namespace Rex.Client.Tests;

/// <summary>A gateway started with `Rex:ApiKey` serves only calls that carry the key as a bearer token.</summary>
public sealed class ApiKeyTests
{
    const string Key = "test-key-7f3a";

    [Fact]
    public async Task CallsWithoutTheKeyOrWithAnotherAreUnauthenticated()
    {
        await using var gateway = await GatewayProcess.Start(GatewayProcess.FixtureModel, apiKey: Key);
        var request = new GenerateRequest { Text = "Hello", Sampling = new SamplingParameters { MaxTokens = 2 } };
        Assert.Equal(2, (await gateway.Client.GenerateAsync(request)).TokenIds.Count);
        foreach (var key in new[] { null, "wrong-key" })
        {
            using var client = new RexClient(new RexClientOptions { Address = gateway.Address, ApiKey = key });
            var error = await Assert.ThrowsAsync<RpcException>(() => client.GenerateAsync(request));
            Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        }
    }
}
