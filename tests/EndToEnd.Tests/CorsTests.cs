using System.Net;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>CORS on the HTTP API of a real gateway process: off unless `CorsAllowedOrigins` names the origins.</summary>
public sealed class CorsTests(OpenAiGateway.Open gateway) : IClassFixture<OpenAiGateway.Open>
{
    const string App = "https://app.example";

    [Fact]
    public async Task ByDefaultNoOriginIsAllowed()
    {
        using var preflight = await Preflight(gateway.Http, gateway.V1, App);
        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));

        using var response = await Get(gateway.Http, gateway.V1, App);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task AllowedOriginsGetPreflightAndResponseHeadersAndOthersDoNot()
    {
        await using var allowing = await GatewayProcess.Start([.. GatewayProcess.FixtureModel, $"--Rex:CorsAllowedOrigins={App}, http://localhost:3000"]);
        using var http = new HttpClient();

        using var preflight = await Preflight(http, allowing.OpenAiBase, App);
        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal([App], preflight.Headers.GetValues("Access-Control-Allow-Origin"));
        Assert.Contains("authorization", string.Join(",", preflight.Headers.GetValues("Access-Control-Allow-Headers")), StringComparison.OrdinalIgnoreCase);

        using var allowed = await Get(http, allowing.OpenAiBase, "http://localhost:3000");
        Assert.Equal(["http://localhost:3000"], allowed.Headers.GetValues("Access-Control-Allow-Origin"));

        using var other = await Get(http, allowing.OpenAiBase, "https://elsewhere.example");
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
    }

    /// <summary>What a browser asks before a page's POST with a JSON body and a key.</summary>
    static Task<HttpResponseMessage> Preflight(HttpClient http, string v1, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, $"{v1}/chat/completions");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        return http.SendAsync(request);
    }

    static Task<HttpResponseMessage> Get(HttpClient http, string v1, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"{v1}/models");
        request.Headers.Add("Origin", origin);
        return http.SendAsync(request);
    }
}
