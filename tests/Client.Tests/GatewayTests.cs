using Grpc.Core;
using Rex.Protos.Api;
using Rex.Tests;

namespace Rex.Client.Tests;

/// <summary>The SDK against the built gateway program serving the fixture model (one process for the class).</summary>
public sealed class GatewayTests(FixtureModelGateway gateway) : IClassFixture<FixtureModelGateway>
{
    static SamplingParameters Greedy(int maxTokens) => new() { MaxTokens = maxTokens, IgnoreEos = true };

    static async Task<(string Text, int[] TokenIds, List<GenerateStreamResponse> Deltas)> Concatenate(IAsyncEnumerable<GenerateStreamResponse> stream)
    {
        var deltas = new List<GenerateStreamResponse>();
        await foreach (var delta in stream) deltas.Add(delta);
        return (string.Concat(deltas.Select(d => d.Text)), [.. deltas.SelectMany(d => d.TokenIds)], deltas);
    }

    [Fact]
    public async Task GenerateEqualsTheConcatenationOfTheStreamedDeltas()
    {
        const string prompt = "The quick brown fox jumps over the";
        var whole = await gateway.Client.GenerateAsync(prompt, Greedy(16));
        var (text, tokenIds, deltas) = await Concatenate(gateway.Client.GenerateStreamAsync(prompt, Greedy(16)));
        Assert.Equal(whole.Text, text);
        Assert.Equal(whole.TokenIds, tokenIds);
        Assert.Equal(16, tokenIds.Length);
        Assert.True(deltas.Count > 1, "one message for the whole generation is no stream");
        Assert.All(deltas[..^1], d => Assert.Equal(("", null), (d.FinishReason, d.Usage)));
        Assert.Equal(("length", 7, 16), (deltas[^1].FinishReason, deltas[^1].Usage.PromptTokens, deltas[^1].Usage.CompletionTokens));
    }

    [Fact]
    public async Task ChatRepliesAndItsStreamConcatenatesToTheSameReply()
    {
        ChatMessage[] conversation =
        [
            new() { Role = "system", Content = "You are terse." },
            new() { Role = "user", Content = "Hello, Rex" },
        ];
        var reply = await gateway.Client.ChatAsync(conversation, Greedy(8));
        Assert.Equal(8, reply.TokenIds.Count);
        Assert.Equal("length", reply.FinishReason);
        var (text, tokenIds, _) = await Concatenate(gateway.Client.ChatStreamAsync(conversation, Greedy(8)));
        Assert.Equal(reply.Text, text);
        Assert.Equal(reply.TokenIds, tokenIds);
    }

    [Fact]
    public async Task TokenizeAndDetokenizeRoundTrip()
    {
        const string text = "The quick brown fox jumps over the";
        var ids = await gateway.Client.TokenizeAsync(text);
        Assert.Equal([791, 4062, 14198, 39935, 35308, 927, 279], ids);
        Assert.Equal(text, await gateway.Client.DetokenizeAsync(ids));
    }

    [Fact]
    public async Task ListModelsNamesTheServedModel()
    {
        var model = Assert.Single((await gateway.Client.ListModelsAsync()).Models);
        Assert.Equal(("dbrx-tiny", 2048, 100352), (model.Id, model.MaxModelLen, model.VocabSize));
    }

    [Fact]
    public async Task ACallPastTheTimeoutFailsWithDeadlineExceeded()
    {
        // 1000 tokens take seconds on the tiny model; the deadline passes while the gateway is generating.
        using var client = new RexClient(new RexClientOptions { Address = gateway.Address, Timeout = TimeSpan.FromMilliseconds(200) });
        var error = await Assert.ThrowsAsync<RpcException>(() => client.GenerateAsync("Hello", Greedy(1000)));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        var streamed = await Assert.ThrowsAsync<RpcException>(() => Concatenate(client.GenerateStreamAsync("Hello", Greedy(1000))));
        Assert.Equal(StatusCode.DeadlineExceeded, streamed.StatusCode);
        Assert.Equal(4, (await gateway.Client.GenerateAsync("Hello", Greedy(4))).TokenIds.Count);
    }
}
