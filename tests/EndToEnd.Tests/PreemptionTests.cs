using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>A KV cache too small for the load: sequences are preempted and recomputed, and nothing changes in the output.</summary>
public sealed class PreemptionTests
{
    [Fact]
    public async Task ATinyKvBudgetForcesPreemptionAndOutputsAreUnchanged()
    {
        // The fixture model's block of 16 tokens takes 2 layers * 2 (keys, values) * 16 * 2 kv heads * 16 dims * 4 bytes
        // = 8 KiB: 24 blocks hold 384 tokens, while 16 sequences of up to 40 + 40 tokens want up to 80 blocks.
        await using var gateway = await GatewayProcess.Start(
            [.. GatewayProcess.FixtureModel, "--Rex:MaxModelLen=256", $"--Rex:KvCacheBytes={24 * 8192}"]);
        var prompts = ServingOracle.Prompts(16, seed: 3);
        var alone = ServingOracle.AloneGreedy(prompts, maxTokens: 40);
        var streamed = await Task.WhenAll(prompts.Select(p => ServingTests.Stream(gateway.Client, ServingTests.Greedy(p, 40))));
        Assert.Equal(alone, streamed.Select(s => s.Tokens));
        var counters = (await gateway.Client.GetClusterStatusAsync()).Scheduler;
        Assert.Equal(24, counters.NumKvBlocks);
        Assert.True(counters.Preemptions > 0, "no sequence was preempted");
        Assert.Equal(0, counters.NumUsedKvBlocks);
    }
}
