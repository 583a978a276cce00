using System.Diagnostics;
using Grpc.Core;
using Rex.Client;
using Rex.Protos.Api;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>Continuous batching, the paged KV cache and the prefix cache of a real gateway process, through the SDK.</summary>
public sealed class ServingTests(FixtureModelGateway server) : IClassFixture<FixtureModelGateway>
{
    RexClient Client => server.Client;

    internal static GenerateRequest Greedy(int[] prompt, int maxTokens) => new()
    {
        TokenIds = new TokenIds { Ids = { prompt } },
        Sampling = new SamplingParameters { MaxTokens = maxTokens, IgnoreEos = true },
    };

    internal static async Task<(int[] Tokens, GenerateStreamResponse Last)> Stream(RexClient client, GenerateRequest request)
    {
        var tokens = new List<int>();
        GenerateStreamResponse? last = null;
        await foreach (var delta in client.GenerateStreamAsync(request))
        {
            tokens.AddRange(delta.TokenIds);
            last = delta;
        }
        return ([.. tokens], last!);
    }

    [Fact]
    public async Task ThirtyTwoConcurrentStreamsEachProduceWhatTheRequestProducesAlone()
    {
        var prompts = ServingOracle.Prompts(32, seed: 1);
        var alone = ServingOracle.AloneGreedy(prompts, maxTokens: 24);
        var streamed = await Task.WhenAll(prompts.Select(p => Stream(Client, Greedy(p, 24))));
        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(alone[i], streamed[i].Tokens);
            Assert.Equal(("length", prompts[i].Length, 24), (streamed[i].Last.FinishReason, streamed[i].Last.Usage.PromptTokens, streamed[i].Last.Usage.CompletionTokens));
        }
    }

    [Fact]
    public async Task ASharedPrefixHitsTheCacheWithIdenticalOutputs()
    {
        var prefix = ServingOracle.Prompts(1, seed: 7)[0].Concat(ServingOracle.Prompts(1, seed: 8)[0]).Take(48).ToArray();
        var prompts = ServingOracle.Prompts(4, seed: 9, prefix);
        var alone = ServingOracle.AloneGreedy(prompts, maxTokens: 8);
        var before = (await Client.GetClusterStatusAsync()).Scheduler;
        var first = await Client.GenerateAsync(Greedy(prompts[0], 8));
        var rest = await Task.WhenAll(prompts.Skip(1).Select(p => Client.GenerateAsync(Greedy(p, 8))));
        var after = (await Client.GetClusterStatusAsync()).Scheduler;
        Assert.Equal(alone, [[.. first.TokenIds], .. rest.Select(r => r.TokenIds.ToArray())]);
        // 48 shared tokens are three blocks of 16: every later request finds them.
        Assert.All(rest, r => Assert.Equal(48, r.Usage.CachedPromptTokens));
        Assert.True(after.PrefixCacheHitTokens - before.PrefixCacheHitTokens >= 3 * 48, $"hits: {after.PrefixCacheHitTokens - before.PrefixCacheHitTokens}");
    }

    [Fact]
    public async Task CancellingMidStreamReturnsEveryBlock()
    {
        using var cancel = new CancellationTokenSource();
        var received = 0;
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var delta in Client.GenerateStreamAsync(Greedy([1, 2, 3, 4, 5], 400), cancel.Token))
                if ((received += delta.TokenIds.Count) >= 3) cancel.Cancel();
        });
        Assert.True(error is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled }, error.ToString());
        var clock = Stopwatch.StartNew();
        SchedulerCounters counters;
        do counters = (await Client.GetClusterStatusAsync()).Scheduler;
        while ((counters.NumUsedKvBlocks > 0 || counters.NumRunning > 0) && clock.Elapsed < TimeSpan.FromSeconds(10) && await Delay());
        Assert.Equal((0, 0, 0), (counters.NumRunning, counters.NumWaiting, counters.NumUsedKvBlocks));
        Assert.True(counters.NumKvBlocks > 0);
    }

    [Fact]
    public async Task StreamedTextAndLogprobsAddUpToTheUnaryResponse()
    {
        var request = Greedy(FixtureGreedy.All[0].Prompt, 12);
        request.Sampling.Logprobs = 3;
        var unary = await Client.GenerateAsync(request);
        var deltas = new List<GenerateStreamResponse>();
        await foreach (var delta in Client.GenerateStreamAsync(request)) deltas.Add(delta);
        Assert.Equal(unary.TokenIds, deltas.SelectMany(d => d.TokenIds));
        Assert.Equal(unary.Text, string.Concat(deltas.Select(d => d.Text)));
        Assert.Equal(unary.Logprobs, deltas.SelectMany(d => d.Logprobs));
        Assert.All(unary.Logprobs, l =>
        {
            Assert.Equal(3, l.TopLogprobs.Count);
            Assert.Equal(l.TopLogprobs[0].TokenId, l.TokenId); // greedy: the chosen token is the most likely
            Assert.True(l.Logprob <= 0);
        });
        Assert.All(deltas.SkipLast(1), d => Assert.Equal("", d.FinishReason));
        Assert.Equal("length", deltas[^1].FinishReason);
    }

    static async Task<bool> Delay()
    {
        await Task.Delay(100);
        return true;
    }
}
