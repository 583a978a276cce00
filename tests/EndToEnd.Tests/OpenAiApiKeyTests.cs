using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// A gateway started with an API key: every OpenAI endpoint, and /metrics on the HTTP port (no MetricsPort is set),
/// wants `Authorization: Bearer KEY`; /health does not.
/// </summary>
public sealed class OpenAiApiKeyTests(OpenAiGateway.Keyed gateway) : IClassFixture<OpenAiGateway.Keyed>
{
    const string Chat = """{"messages": [{"role": "user", "content": "Hello"}], "max_tokens": 2}""";

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    [InlineData(OpenAiGateway.Keyed.Key)]
    public async Task ModelsNeedsTheKey(string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{gateway.V1}/models");
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);

        using var response = await gateway.Http.SendAsync(request);

        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        if (key == OpenAiGateway.Keyed.Key)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("dbrx-tiny", (string?)body["data"]![0]!["id"]);
        }
        else
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("invalid_api_key", (string?)body["error"]!["code"]);
        }
    }

    [Fact]
    public async Task ChatCompletionsThroughCurlNeedTheKey()
    {
        var without = await Curl.Post($"{gateway.V1}/chat/completions", Chat);
        var with = await Curl.Post($"{gateway.V1}/chat/completions", Chat, $"Authorization: Bearer {OpenAiGateway.Keyed.Key}");

        Assert.Equal(401, without.Status);
        Assert.Contains("Authorization: Bearer", (string?)JsonNode.Parse(without.Body)!["error"]!["message"]);
        Assert.Equal(200, with.Status);
        Assert.Equal("chat.completion", (string?)JsonNode.Parse(with.Body)!["object"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    [InlineData(OpenAiGateway.Keyed.Key)]
    public async Task MetricsOnTheHttpPortNeedTheKey(string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.Root, "metrics"));
        // The scheme's name in another case than RFC 6750 writes it: it is case-insensitive.
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("bearer", key);

        using var response = await gateway.Http.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        if (key == OpenAiGateway.Keyed.Key)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("rex_kv_cache_blocks_free", body);
        }
        else
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("invalid_api_key", (string?)JsonNode.Parse(body)!["error"]!["code"]);
        }
    }

    [Fact]
    public async Task HealthNeedsNoKey()
    {
        using var response = await gateway.Http.GetAsync(new Uri(gateway.Root, "health"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
