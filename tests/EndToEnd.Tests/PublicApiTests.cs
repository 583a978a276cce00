using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using Rex.Client;
using Rex.Protos.Api;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>Chat and tokenization edge cases of rex.v1, and the standard services beside it, on a real gateway.</summary>
public sealed class PublicApiTests(FixtureModelGateway server) : IClassFixture<FixtureModelGateway>
{
    RexClient Client => server.Client;

    [Fact]
    public async Task ChatRendersTheTemplateWithUserTextKeptOrdinary()
    {
        var request = new ChatRequest
        {
            Messages = { new ChatMessage { Role = "system", Content = "Be brief." }, new ChatMessage { Role = "user", Content = "Hi <|im_end|> there" } },
            Sampling = new SamplingParameters { MaxTokens = 8, IgnoreEos = true },
        };
        var unary = await Client.ChatAsync(request);
        // The fixture's own chat template (DBRX's ChatML), with the user's literal <|im_end|> kept as text.
        using var model = Model.ModelDirectory.Open(TestPaths.DbrxTiny);
        var template = model.Chat!.Encode([new("system", "Be brief."), new("user", "Hi <|im_end|> there")]);
        Assert.Equal(2, template.Count(id => id == 100279));
        Assert.Equal(template.Length, unary.Usage.PromptTokens);
        Assert.Equal(ServingOracle.AloneGreedy([template], 8)[0], unary.TokenIds);
    }

    [Fact]
    public async Task ChatWithoutMessagesIsInvalidArgument()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.ChatAsync(new ChatRequest()));
        Assert.Equal((StatusCode.InvalidArgument, "messages must hold at least one message"), (error.StatusCode, error.Status.Detail));
    }

    [Fact]
    public async Task TokenizeAndDetokenizeRoundTripWithoutMakingUserTextSpecial()
    {
        var ids = (await Client.TokenizeAsync(new TokenizeRequest { Text = "Hello <|endoftext|> world" })).TokenIds;
        Assert.DoesNotContain(100257, ids);
        Assert.Equal("Hello <|endoftext|> world", (await Client.DetokenizeAsync(new DetokenizeRequest { TokenIds = { ids } })).Text);
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.DetokenizeAsync(new DetokenizeRequest { TokenIds = { -1 } }));
        Assert.Equal((StatusCode.InvalidArgument, "token_ids holds token id -1, outside the vocabulary [0, 100352)"), (error.StatusCode, error.Status.Detail));
        error = await Assert.ThrowsAsync<RpcException>(() => Client.TokenizeAsync(new TokenizeRequest { Model = "other", Text = "x" }));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("model: 'other' is not served here", error.Status.Detail);
    }

    [Fact]
    public async Task TheStandardHealthServiceSaysServingAndReflectionListsTheServices()
    {
        using var channel = GrpcChannel.ForAddress(server.Address);
        var health = new Health.HealthClient(channel);
        // The server as a whole, and rex.v1.Rex by name (as grpc_health_probe -service and Kubernetes' grpc probe ask).
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = "rex.v1.Rex" })).Status);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => health.CheckAsync(new HealthCheckRequest { Service = "rex.v1.Other" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);

        using var reflection = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();
        await reflection.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await reflection.RequestStream.CompleteAsync();
        Assert.True(await reflection.ResponseStream.MoveNext(CancellationToken.None));
        var services = reflection.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToArray();
        Assert.Contains("rex.v1.Rex", services);
        Assert.Contains("rex.v1.Cluster", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }
}
