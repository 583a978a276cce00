using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Rex.Silo.Hosting;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// `rex cluster up` with an API key in the environment (REX_API_KEY) and a metrics port: it comes up (its readiness
/// checks carry the key), the CLI's client commands work with the key and fail clearly without it, and /metrics is
/// served on the metrics port alone; a key cluster up does not know fails it at once.
/// </summary>
public sealed class ClusterApiKeyTests
{
    const string Key = "cluster-key-5e1b";
    const string ApiKeyVariable = "REX_API_KEY";

    [Fact]
    public async Task AKeyedClusterComesUpAndServesTheCliWithTheKeyAndTheMetricsPortWithout()
    {
        using var state = new TemporaryDirectory();
        using var home = new TemporaryDirectory();
        var withoutKey = new Dictionary<string, string> { ["REX_HOME"] = home.Path };
        var withKey = new Dictionary<string, string>(withoutKey) { [ApiKeyVariable] = Key };
        var (httpPort, metricsPort) = (FreePort.Pick(), FreePort.Pick());
        try
        {
            var up = await ChildProcess.Run("rex.dll",
            [
                "cluster", "up", "--silos", "1", "--model", TestPaths.DbrxTiny, "--port", "0", "--http-port", $"{httpPort}", "--state", state.Path,
                "--gateway-arg", $"Rex:MetricsPort={metricsPort}",
            ], withKey);
            Assert.True(up.ExitCode == 0, up.Error);
            var address = up.Output.Trim().Split('\n')[^1];
            string[] generate = ["generate", "--server", address, "--token-ids", "1,2,3", "--max-tokens", "4", "--ignore-eos", "--json"];

            var keyed = await ChildProcess.Run("rex.dll", [.. generate, "--api-key", Key], withoutKey);
            Assert.True(keyed.ExitCode == 0, keyed.Error);
            Assert.Equal(4, JsonDocument.Parse(keyed.Output).RootElement.GetProperty("token_ids").GetArrayLength());
            foreach (var refused in new[]
            {
                await ChildProcess.Run("rex.dll", generate, withoutKey),
                await ChildProcess.Run("rex.dll", [.. generate, "--api-key", "wrong"], withoutKey),
            })
            {
                Assert.NotEqual(0, refused.ExitCode);
                Assert.Contains("error: Unauthenticated", refused.Error);
                Assert.Contains("--api-key", refused.Error);
                Assert.Contains(ApiKeyVariable, refused.Error);
            }

            var status = await ChildProcess.Run("rex.dll", ["cluster", "status", "--server", address, "--json"], withKey);
            Assert.True(status.ExitCode == 0, status.Error);
            var report = JsonDocument.Parse(status.Output).RootElement;
            Assert.Equal(report.GetProperty("expected_experts").GetInt32(), report.GetProperty("active_experts").GetInt32());

            using var http = new HttpClient();
            var metrics = await http.GetAsync($"http://127.0.0.1:{metricsPort}/metrics");
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            Assert.Contains("rex_tokens_total", await metrics.Content.ReadAsStringAsync());
            // The public HTTP port no longer serves /metrics, even with the key; the metrics port serves nothing else.
            using var publicScrape = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{httpPort}/metrics");
            publicScrape.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(publicScrape)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"http://127.0.0.1:{metricsPort}/health")).StatusCode);
        }
        finally
        {
            var down = await ChildProcess.Run("rex.dll", ["cluster", "down", "--state", state.Path], withoutKey);
            Assert.True(down.ExitCode == 0, down.Error);
        }
    }

    [Fact]
    public async Task AKeyTheCliWasNotGivenFailsClusterUpAtOnceNamingTheOption()
    {
        using var state = new TemporaryDirectory();
        using var home = new TemporaryDirectory();
        // The gateway reads settings case-insensitively (Rex:APIKEY is its ApiKey); cluster up's readiness checks know no key.
        var environment = new Dictionary<string, string> { ["REX_HOME"] = home.Path, ["REX_APIKEY"] = Key };
        var clock = Stopwatch.StartNew();

        var up = await ChildProcess.Run("rex.dll",
            ["cluster", "up", "--silos", "1", "--model", TestPaths.DbrxTiny, "--port", "0", "--http-port", "0", "--state", state.Path, "--timeout", "100"],
            environment);

        Assert.NotEqual(0, up.ExitCode);
        Assert.Contains("error: Unauthenticated", up.Error);
        Assert.Contains("--api-key", up.Error);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(80), $"failed after {clock.Elapsed.TotalSeconds:F0} s, not at the first refusal");
        Assert.False(File.Exists(Path.Combine(state.Path, "cluster.json")), "the processes it started are stopped");
    }
}
