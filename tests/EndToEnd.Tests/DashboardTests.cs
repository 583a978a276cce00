using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// dashboards/rex.json against a real gateway's /metrics: every metric, label and label value its queries name is one
/// the gateway exports, and every Rex metric it exports has a panel. Renaming an instrument or an attribute breaks
/// this test instead of leaving a dashboard of empty panels.
/// </summary>
public sealed partial class DashboardTests
{
    static readonly JsonNode Dashboard = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "dashboards", "rex.json")))!;

    // Prometheus adds these to every series it scrapes; the exposition has neither.
    static readonly string[] TargetLabels = ["instance", "job"];

    static IEnumerable<JsonNode> Panels => Dashboard["panels"]!.AsArray().Select(p => p!);

    static IEnumerable<JsonNode> Targets => Panels.SelectMany(p => p["targets"]?.AsArray() ?? []).Select(t => t!);

    static IEnumerable<JsonNode> QueryVariables =>
        Dashboard["templating"]!["list"]!.AsArray().Select(v => v!).Where(v => (string?)v["type"] == "query");

    [Fact]
    public void TheDashboardHasItsPanelsAndQueriesTheDatasourceVariable()
    {
        var titles = Panels.Select(p => (string)p["title"]!).ToArray();
        foreach (var title in new[] { "Expert load", "TTFT", "TPOT", "Throughput", "Queue", "KV cache", "Round trip" })
            Assert.Contains(titles, t => t.Contains(title, StringComparison.OrdinalIgnoreCase));
        // Nothing names a data source of its own, so an import only asks which Prometheus to use.
        Assert.All(Panels.Concat(Targets).Concat(QueryVariables).Where(n => n["datasource"] is not null),
            n => Assert.Equal("${datasource}", (string?)n["datasource"]!["uid"]));
    }

    [Fact]
    public async Task EveryNameTheQueriesUseIsScrapedAndEveryRexMetricHasAPanel()
    {
        await using var gateway = await GatewayProcess.Start(GatewayProcess.FixtureModel);
        await Task.WhenAll(ServingOracle.Prompts(3, seed: 5).Select(p => ServingTests.Stream(gateway.Client, ServingTests.Greedy(p, 6))));
        // A cancelled stream gives the request histogram its error.type series, which the requests panel reads.
        using var cancel = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var _ in gateway.Client.GenerateStreamAsync(ServingTests.Greedy([1, 2, 3], 400), cancel.Token)) cancel.Cancel();
        });
        var exposition = await ScrapeOnceEnded(gateway.OpenAiBase[..^"v1".Length] + "metrics", requests: 4);

        var samples = MetricsTests.Sample().Matches(exposition);
        var scrapedMetrics = samples.Select(m => m.Groups["name"].Value).ToHashSet();
        var scrapedValues = samples.SelectMany(m => Matcher().Matches(m.Groups["labels"].Value)).Select(m => (m.Groups["label"].Value, m.Groups["value"].Value)).ToHashSet();
        var scrapedLabels = scrapedValues.Select(v => v.Item1).Concat(TargetLabels).ToHashSet();

        var used = NamesUsed(Targets.Select(t => (string)t["expr"]!).Concat(QueryVariables.Select(v => (string)v["query"]!)),
            Targets.Select(t => (string?)t["legendFormat"] ?? ""));
        Assert.Empty(used.Metrics.Except(scrapedMetrics));
        Assert.Empty(used.Labels.Except(scrapedLabels));
        Assert.Empty(used.Values.Except(scrapedValues));
        // A histogram's _bucket, _count and _sum are one metric.
        var families = TypeLine().Matches(exposition).Select(m => m.Groups["name"].Value).Where(n => RexName().IsMatch(n)).ToArray();
        Assert.Contains("rex_expert_rows_routed_total", families);
        Assert.All(families, f => Assert.True(new[] { "", "_bucket", "_count", "_sum" }.Any(suffix => used.Metrics.Contains(f + suffix)), $"{f} has no panel"));
    }

    // Scrapes until every request's end is recorded: a cancelled one ends when the engine next steps.
    static async Task<string> ScrapeOnceEnded(string metricsUrl, int requests)
    {
        using var http = new HttpClient();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var exposition = await http.GetStringAsync(metricsUrl);
            if (MetricsTests.Sum(exposition, "gen_ai_server_request_duration_seconds_count") == requests || clock.Elapsed > TimeSpan.FromSeconds(10))
                return exposition;
            await Task.Delay(100);
        }
    }

    sealed record Names(HashSet<string> Metrics, HashSet<string> Labels, HashSet<(string Label, string Value)> Values);

    /// <summary>
    /// The metrics, labels and exact label values PromQL queries and legends name. Labels stand in selectors ({...}),
    /// grouping lists (by (...), on (...)) and label_values' second argument; with those taken out, the rex_ and
    /// gen_ai_ names left are metrics. Values are checked where a matcher is `=` to a literal.
    /// </summary>
    static Names NamesUsed(IEnumerable<string> queries, IEnumerable<string> legends)
    {
        var names = new Names([], [], []);
        foreach (var query in queries)
        {
            var rest = LabelValues().Replace(query, m =>
            {
                names.Labels.Add(m.Groups["label"].Value);
                return m.Groups["metric"].Value;
            });
            rest = Selector().Replace(rest, m =>
            {
                foreach (Match matcher in Matcher().Matches(m.Value))
                {
                    var (label, value) = (matcher.Groups["label"].Value, matcher.Groups["value"].Value);
                    names.Labels.Add(label);
                    if (matcher.Groups["op"].Value == "=" && value.Length > 0 && !value.Contains('$')) names.Values.Add((label, value));
                }
                return "";
            });
            rest = Grouping().Replace(rest, m =>
            {
                names.Labels.UnionWith(m.Groups["labels"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
                return "";
            });
            names.Metrics.UnionWith(RexName().Matches(rest).Select(m => m.Value));
        }
        foreach (var legend in legends) names.Labels.UnionWith(LegendLabel().Matches(legend).Select(m => m.Groups["label"].Value));
        return names;
    }

    [GeneratedRegex(@"\b(?:rex|gen_ai)_\w+")]
    private static partial Regex RexName();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Selector();

    // A query's matcher, or a scraped sample's label (always `=`).
    [GeneratedRegex(@"(?<label>\w+)\s*(?<op>=~|!~|!=|=)\s*""(?<value>[^""]*)""")]
    private static partial Regex Matcher();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\((?<labels>[^)]*)\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"label_values\((?<metric>[^,()]*),\s*(?<label>\w+)\s*\)")]
    private static partial Regex LabelValues();

    [GeneratedRegex(@"\{\{\s*(?<label>\w+)\s*\}\}")]
    private static partial Regex LegendLabel();

    [GeneratedRegex(@"^# TYPE (?<name>\S+) ", RegexOptions.Multiline)]
    private static partial Regex TypeLine();
}
