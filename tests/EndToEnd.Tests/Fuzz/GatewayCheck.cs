using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Rex.Tests;

namespace Rex.EndToEnd.Tests.Fuzz;

/// <summary>
/// The gateway after hostile input: its process still running, /health answering 200, and a well-formed greedy
/// request over gRPC and over HTTP answered exactly as it was before the first hostile case.
/// </summary>
public sealed class GatewayCheck
{
    const int MaxTokens = 8;

    readonly GatewayProcess gateway;
    readonly HttpClient http;
    readonly int[] referenceTokens;
    readonly string referenceText;

    GatewayCheck(GatewayProcess gateway, HttpClient http, int[] referenceTokens, string referenceText)
    {
        this.gateway = gateway;
        this.http = http;
        this.referenceTokens = referenceTokens;
        this.referenceText = referenceText;
    }

    static int[] Prompt => FixtureGreedy.All[0].Prompt;

    /// <summary>Takes the references from the untouched gateway; its greedy tokens must be the fixture's too.</summary>
    public static async Task<GatewayCheck> Start(GatewayProcess gateway, HttpClient http)
    {
        var tokens = await GatewayClient.Greedy(gateway.Client, Prompt, MaxTokens);
        Assert.Equal(FixtureGreedy.All[0].Tokens[..MaxTokens], tokens);
        var (status, text) = await HttpGreedy(gateway, http);
        Assert.Equal(HttpStatusCode.OK, status);
        return new GatewayCheck(gateway, http, tokens, text);
    }

    /// <summary>What is wrong with the gateway now, or null.</summary>
    public async Task<string?> Check()
    {
        if (gateway.HasExited) return $"the gateway process exited; its stderr ends:\n{Tail(gateway.Error)}";
        try
        {
            using var timeout = new CancellationTokenSource(FuzzRunner.CaseTimeout);
            using var health = await http.GetAsync(new Uri(new Uri(gateway.OpenAiBase), "/health"), timeout.Token);
            if (health.StatusCode != HttpStatusCode.OK) return $"/health answered {(int)health.StatusCode}";
            var tokens = await GatewayClient.Greedy(gateway.Client, Prompt, MaxTokens);
            if (!tokens.SequenceEqual(referenceTokens)) return $"gRPC greedy tokens [{string.Join(",", tokens)}], before [{string.Join(",", referenceTokens)}]";
            var (status, text) = await HttpGreedy(gateway, http);
            if (status != HttpStatusCode.OK || text != referenceText) return $"HTTP greedy completion {(int)status} '{text}', before '{referenceText}'";
            return null;
        }
        catch (Exception e)
        {
            return $"a well-formed request failed: {e.GetType().Name}: {e.Message}";
        }
    }

    static async Task<(HttpStatusCode, string)> HttpGreedy(GatewayProcess gateway, HttpClient http)
    {
        var body = new JsonObject
        {
            ["prompt"] = new JsonArray([.. Prompt.Select(id => JsonValue.Create(id))]),
            ["max_tokens"] = MaxTokens,
            ["ignore_eos"] = true,
        };
        using var timeout = new CancellationTokenSource(FuzzRunner.CaseTimeout);
        using var response = await http.PostAsJsonAsync($"{gateway.OpenAiBase}/completions", body, timeout.Token);
        var reply = JsonNode.Parse(await response.Content.ReadAsStringAsync(timeout.Token));
        return (response.StatusCode, (string?)reply?["choices"]?[0]?["text"] ?? reply?.ToJsonString() ?? "");
    }

    static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];
}
