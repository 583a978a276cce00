using System.Diagnostics;
using Grpc.Core;
using Rex.Protos.Api;

namespace Rex.Client.Tests;

/// <summary>gRPC's retry policy as RexClientOptions configure it, against servers that fail on purpose.</summary>
public sealed class RetryTests
{
    static RexClient Client(string address, int maxRetries, string? apiKey = null) => new(new RexClientOptions
    {
        Address = address,
        ApiKey = apiKey,
        MaxRetries = maxRetries,
        InitialBackoff = TimeSpan.FromMilliseconds(50),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
    });

    static async Task<string> Streamed(RexClient client, SamplingParameters? sampling = null)
    {
        var text = "";
        await foreach (var delta in client.GenerateStreamAsync("hi", sampling)) text += delta.Text;
        return text;
    }

    [Fact]
    public async Task UnaryCallsRetryUnavailableUntilTheServerAnswers()
    {
        await using var server = await FlakyServer.Start(failures: 2);
        using var client = Client(server.Address, maxRetries: 2);
        Assert.Equal("ok", (await client.GenerateAsync("hi")).Text);
        Assert.Equal(3, server.Attempts);
    }

    [Fact]
    public async Task StreamedCallsRetryUnavailableBeforeTheirFirstMessage()
    {
        await using var server = await FlakyServer.Start(failures: 2);
        using var client = Client(server.Address, maxRetries: 2);
        Assert.Equal("ok", await Streamed(client));
        Assert.Equal(3, server.Attempts);
    }

    [Fact]
    public async Task AGreedyStreamCutMidwayIsStartedAgainAndEachTokenArrivesOnce()
    {
        await using var server = await FlakyServer.Start(failures: 0, cutStreams: 2);
        using var client = Client(server.Address, maxRetries: 2);
        var deltas = new List<GenerateStreamResponse>();
        await foreach (var delta in client.GenerateStreamAsync("hi")) deltas.Add(delta);
        Assert.Equal([[1], [2]], deltas.Select(d => d.TokenIds.ToArray()));
        Assert.Equal(("ok", "stop"), (string.Concat(deltas.Select(d => d.Text)), deltas[^1].FinishReason));
        Assert.Equal(3, server.Attempts);
    }

    [Fact]
    public async Task ASeededStreamIsStartedAgainButAnUnseededSampledOneFails()
    {
        await using var server = await FlakyServer.Start(failures: 0, cutStreams: 2);
        using var client = Client(server.Address, maxRetries: 1);
        var error = await Assert.ThrowsAsync<RpcException>(() => Streamed(client, new SamplingParameters { Temperature = 0.8 }));
        Assert.Equal((StatusCode.Unavailable, "gateway lost on purpose"), (error.StatusCode, error.Status.Detail));
        Assert.Equal("ok", await Streamed(client, new SamplingParameters { Temperature = 0.8, Seed = 42 }));
        Assert.Equal(3, server.Attempts);
    }

    [Fact]
    public async Task AStreamCutMoreOftenThanMaxRetriesFails()
    {
        await using var server = await FlakyServer.Start(failures: 0, cutStreams: 3);
        using var client = Client(server.Address, maxRetries: 2);
        var error = await Assert.ThrowsAsync<RpcException>(() => Streamed(client));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(3, server.Attempts);
    }

    [Fact]
    public async Task ARestartedStreamThatDiffersFromWhatWasDeliveredFailsInsteadOfContinuing()
    {
        await using var server = await FlakyServer.Start(failures: 0, cutStreams: 1, replayDiffers: true);
        using var client = Client(server.Address, maxRetries: 2);
        var deltas = new List<GenerateStreamResponse>();
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var delta in client.GenerateStreamAsync("hi")) deltas.Add(delta);
        });
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("token 0 is 7, not the 1 delivered", error.Status.Detail);
        Assert.Equal([1], Assert.Single(deltas).TokenIds);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public async Task AfterMaxRetriesTheCallFailsWithUnavailable(int maxRetries)
    {
        await using var server = await FlakyServer.Start(failures: 10);
        using var client = Client(server.Address, maxRetries);
        var error = await Assert.ThrowsAsync<RpcException>(() => client.GenerateAsync("hi"));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(maxRetries + 1, server.Attempts);
    }

    [Fact]
    public async Task OtherErrorsAreNotRetried()
    {
        await using var server = await FlakyServer.Start(failures: 1, StatusCode.InvalidArgument);
        using var client = Client(server.Address, maxRetries: 3);
        var error = await Assert.ThrowsAsync<RpcException>(() => Streamed(client));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(1, server.Attempts);
    }

    [Fact]
    public async Task ACallMadeWhileNothingListensSucceedsOnceTheServerStarts()
    {
        var port = FlakyServer.FreePort();
        using var client = new RexClient(new RexClientOptions
        {
            Address = $"http://127.0.0.1:{port}",
            MaxRetries = 20,
            InitialBackoff = TimeSpan.FromMilliseconds(100),
            MaxBackoff = TimeSpan.FromMilliseconds(400),
        });
        var call = client.GenerateAsync("hi");
        await Task.Delay(300); // the first attempt has been refused by now
        Assert.False(call.IsCompleted);
        await using var server = await FlakyServer.Start(failures: 0, port: port);
        Assert.Equal("ok", (await call).Text);
    }

    [Fact]
    public async Task WhenNothingListensTheCallFailsWithUnavailableAfterItsRetries()
    {
        using var client = Client($"http://127.0.0.1:{FlakyServer.FreePort()}", maxRetries: 2);
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<RpcException>(() => client.GenerateAsync("hi"));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        // Two waits of at most 50 and 100 ms, plus connection attempts: well under a second, not a hang.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task TheApiKeyIsSentAsBearerMetadataOnEveryAttempt()
    {
        await using var server = await FlakyServer.Start(failures: 1);
        using (var client = Client(server.Address, maxRetries: 1, apiKey: "secret-key"))
            await client.GenerateAsync("hi");
        using (var client = Client(server.Address, maxRetries: 0))
            await client.GenerateAsync("hi");
        Assert.Equal(["Bearer secret-key", "Bearer secret-key", ""], server.Authorizations);
    }
}
