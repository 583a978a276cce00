using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Rex.Silo.Hosting;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>The Prometheus /metrics endpoint of a real gateway process after a few requests.</summary>
public sealed partial class MetricsTests
{
    [Fact]
    public async Task MetricsShowServingFiguresAndTheExpertLoadSumsToTheRowsRouted()
    {
        await using var gateway = await GatewayProcess.Start(GatewayProcess.FixtureModel);
        var prompts = ServingOracle.Prompts(4, seed: 11);
        await Task.WhenAll(prompts.Select(p => ServingTests.Stream(gateway.Client, ServingTests.Greedy(p, 6))));

        using var http = new HttpClient();
        var text = await http.GetStringAsync(gateway.OpenAiBase[..^"v1".Length] + "metrics");
        foreach (var name in new[]
        {
            "gen_ai_server_time_to_first_token_seconds_bucket", "gen_ai_server_time_per_output_token_seconds_bucket",
            "gen_ai_server_request_duration_seconds_bucket", "rex_tokens_total", "rex_scheduler_waiting", "rex_scheduler_running",
            "rex_kv_cache_blocks_used", "rex_kv_cache_blocks_free", "rex_prefix_cache_hit_tokens_total", "rex_expert_rows_routed_total",
            "rex_silo_rows_served_total", "rex_dispatch_bytes_total", "rex_dispatch_round_trip_seconds_bucket", "rex_dispatch_dropped_slots_total", "rex_rebalance_moves_total",
            "rex_dispatch_deadline_misses_total", "rex_dispatch_resent_rows_total", "rex_dispatch_unavailable_rows_total", "rex_dispatch_suspect_silos",
            "rex_dispatch_expert_deadline_seconds",
        })
            Assert.Contains("\n" + name, text);

        Assert.Equal(4, Sum(text, "gen_ai_server_request_duration_seconds_count"));
        Assert.Equal(4 * 6, Sum(text, "rex_tokens_total", "gen_ai_token_type=\"output\""));
        Assert.Equal(prompts.Sum(p => p.Length), Sum(text, "rex_tokens_total", "gen_ai_token_type=\"input\""));
        // Every (row, expert) slot the routers chose went to a silo, and the silos served exactly those.
        var routed = Sum(text, "rex_expert_rows_routed_total");
        var served = (await gateway.Client.GetClusterStatusAsync()).Silos.SelectMany(s => s.Experts).Sum(e => e.RowsServed);
        Assert.True(routed > 0);
        Assert.Equal(routed, Sum(text, "rex_silo_rows_served_total"));
        Assert.Equal(routed, served);
    }

    [Fact]
    public async Task AOneProcessGatewayWithAMetricsPortServesMetricsThereAloneWithoutTheKey()
    {
        var port = FreePort.Pick();
        // Gateway and expert roles in one process: the port is bound once, by the gateway, with every meter on it.
        await using var gateway = await GatewayProcess.Start([.. GatewayProcess.FixtureModel, $"--Rex:MetricsPort={port}"], apiKey: "metrics-test-key");
        await ServingTests.Stream(gateway.Client, ServingTests.Greedy(ServingOracle.Prompts(1, seed: 3)[0], 4));

        using var http = new HttpClient();
        var text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        Assert.Equal(4, Sum(text, "rex_tokens_total", "gen_ai_token_type=\"output\""));
        Assert.True(Sum(text, "rex_silo_rows_served_total") > 0);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(gateway.OpenAiBase[..^"v1".Length] + "metrics")).StatusCode);
    }

    // The sum of a metric's samples (over its label sets), optionally only those whose labels contain `label`.
    internal static double Sum(string exposition, string metric, string label = "") =>
        Sample().Matches(exposition)
            .Where(m => m.Groups["name"].Value == metric && m.Groups["labels"].Value.Contains(label, StringComparison.Ordinal))
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    internal static partial Regex Sample();
}
