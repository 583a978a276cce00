using Rex.Client;
using Rex.Protos.Api;

namespace Rex.EndToEnd.Tests;

/// <summary>What the end-to-end tests ask of a running gateway, through the public API and the SDK.</summary>
public static class GatewayClient
{
    public static async Task<int[]> Greedy(RexClient client, int[] prompt, int maxTokens = 16)
    {
        var request = new GenerateRequest
        {
            TokenIds = new TokenIds { Ids = { prompt } },
            Sampling = new SamplingParameters { MaxTokens = maxTokens, IgnoreEos = true },
        };
        return [.. (await client.GenerateAsync(request)).TokenIds];
    }
}
