using System.Text.Json;

namespace Rex.Cli.Tests.Commands;

/// <summary>`rex bench transport`: the real data plane and the echo on loopback, a few round trips each.</summary>
public sealed class BenchTransportCommandTests
{
    [Fact]
    public void JsonHoldsTheConditionsAndEveryRowCountsFigures()
    {
        var outcome = CliRunner.InProcess("bench", "transport", "--max-rows", "2", "--round-trips", "3", "--json");
        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var report = JsonDocument.Parse(outcome.Output).RootElement;
        Assert.Equal(64, report.GetProperty("conditions").GetProperty("hidden_size").GetInt32());
        var rowCounts = report.GetProperty("row_counts").EnumerateArray().ToArray();
        Assert.Equal([1, 2], rowCounts.Select(r => r.GetProperty("rows").GetInt32()));
        foreach (var figures in rowCounts)
        {
            Assert.Equal(3, figures.GetProperty("round_trips").GetInt32());
            // The rows' float32 values and their slices' rows and weights.
            Assert.True(figures.GetProperty("request_bytes").GetInt32() > figures.GetProperty("rows").GetInt32() * 64 * 4);
            double P50(string name) => figures.GetProperty(name).GetProperty("p50").GetDouble();
            Assert.True(P50("echo_micros") > 0 && P50("compute_micros") > 0, figures.ToString());
            // Each round trip holds the compute its silo reported.
            Assert.True(P50("data_plane_micros") > P50("compute_micros"), figures.ToString());
            Assert.Equal(P50("transport_micros") / P50("echo_micros"), figures.GetProperty("transport_over_echo").GetDouble(), 9);
        }
    }

    [Fact]
    public void AnotherWidthIsTheTinyModelGeneratedAtIt()
    {
        var outcome = CliRunner.InProcess("bench", "transport", "--hidden", "128", "--max-rows", "1", "--round-trips", "2", "--json");
        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var conditions = JsonDocument.Parse(outcome.Output).RootElement.GetProperty("conditions");
        Assert.Equal((128, "dbrx-tiny-d128"), (conditions.GetProperty("hidden_size").GetInt32(), conditions.GetProperty("model").GetString()));
    }

    [Fact]
    public void AWidthNoModelCanHaveIsRefused()
    {
        var outcome = CliRunner.InProcess("bench", "transport", "--hidden", "6");
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("--hidden: d_model = 6 must be divisible by n_heads (4)", outcome.Error);
    }
}
