using System.Text.Json;
using Rex.Tests;

namespace Rex.Cli.Tests.Commands;

public sealed class BenchCommandTests
{
    [Fact]
    public void ReportsThroughputFigures()
    {
        var outcome = CliRunner.InProcess("bench", "--model", TestPaths.DbrxTiny, "--batch-size", "2", "--input-len", "4", "--output-len", "3",
            "--warmup-seconds", "0", "--json");
        Assert.Equal(0, outcome.ExitCode);
        using var json = JsonDocument.Parse(outcome.Output);
        Assert.Equal(2, json.RootElement.GetProperty("batch_size").GetInt32());
        // No warm-up time asked for, but one full untimed run all the same.
        Assert.True(json.RootElement.GetProperty("warmup_seconds").GetDouble() > 0);
        Assert.True(json.RootElement.GetProperty("decode_tokens_per_second").GetDouble() > 0);
        Assert.True(json.RootElement.GetProperty("total_seconds").GetDouble() >= json.RootElement.GetProperty("prefill_seconds").GetDouble());
        // Each of the batch's 2 sequences gets a token per decode step: TPOT is the inverse of half the decode rate.
        Assert.Equal(2 / json.RootElement.GetProperty("decode_tokens_per_second").GetDouble(), json.RootElement.GetProperty("tpot_seconds").GetDouble(), 9);
        // On a CPU without --peak-bandwidth the host's is measured, and the step's bytes over TPOT are what it achieved.
        Assert.True(json.RootElement.GetProperty("peak_measured").GetBoolean());
        Assert.True(json.RootElement.GetProperty("peak_bandwidth_gbs").GetDouble() > 0);
        Assert.Equal(json.RootElement.GetProperty("step_bytes").GetDouble() / json.RootElement.GetProperty("tpot_seconds").GetDouble() / 1e9,
            json.RootElement.GetProperty("achieved_bandwidth_gbs").GetDouble(), 6);
        Assert.Contains("GB/s achieved", CliRunner.InProcess("bench", "--model", TestPaths.DbrxTiny, "--input-len", "4", "--output-len", "2",
            "--warmup-seconds", "0", "--peak-bandwidth", "20").Output);
    }

    [Fact]
    public void MemoryMeasuresTheReadBandwidthAndRefusesBadSizes()
    {
        var outcome = CliRunner.InProcess("bench", "memory", "--threads", "2", "--buffer-mib", "64", "--passes", "3", "--json");
        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var report = JsonDocument.Parse(outcome.Output).RootElement;
        Assert.Equal(2, report.GetProperty("threads").GetInt32());
        Assert.Equal(64L << 20, report.GetProperty("buffer_bytes").GetInt64());
        Assert.InRange(report.GetProperty("median_gbs").GetDouble(), 0.1, report.GetProperty("best_gbs").GetDouble());
        Assert.Contains("--buffer-mib must be 64 to 2048, got 4096", CliRunner.InProcess("bench", "memory", "--buffer-mib", "4096").Error);
        Assert.Contains("--passes must be at least 1, got 0", CliRunner.InProcess("bench", "memory", "--passes", "0").Error);
    }

    [Fact]
    public void AnyFamilyIsBenchedWithPromptsInsideItsVocabularyAndAgainstTheRoofline()
    {
        var outcome = CliRunner.InProcess("bench", "--model", FixtureCases.Path("olmoe"), "--batch-size", "2", "--input-len", "4", "--output-len", "3",
            "--warmup-seconds", "0", "--memory-bandwidth-gbs", "20", "--json");
        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var report = JsonDocument.Parse(outcome.Output).RootElement;
        Assert.Equal("olmoe", report.GetProperty("model_type").GetString());
        var roofline = report.GetProperty("roofline_tokens_per_second").GetDouble();
        Assert.Equal(2 * 20e9 / report.GetProperty("step_bytes").GetDouble(), roofline, 6);
        Assert.Equal(report.GetProperty("decode_tokens_per_second").GetDouble() / roofline, report.GetProperty("roofline_fraction").GetDouble(), 9);
        Assert.False(report.GetProperty("peak_measured").GetBoolean());
        // --memory-bandwidth-gbs is the option's older name.
        Assert.Contains("--peak-bandwidth must be positive", CliRunner.InProcess("bench", "--peak-bandwidth", "0").Error);
    }

    [Fact]
    public void RefusesAnOutputTooShortToTimeDecoding()
    {
        var outcome = CliRunner.InProcess("bench", "--model", TestPaths.DbrxTiny, "--output-len", "1");
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("--output-len must be at least 2", outcome.Error);
    }

    [Fact]
    public void RefusesANegativeWarmup()
    {
        var outcome = CliRunner.InProcess("bench", "--model", TestPaths.DbrxTiny, "--warmup-seconds", "-1");
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("--warmup-seconds must be 0 or more, got -1", outcome.Error);
    }

    [Fact]
    public void SamplingFlagsAreParsedAndReportedWithTheFigures()
    {
        var outcome = CliRunner.InProcess("bench", "--model", TestPaths.DbrxTiny, "--batch-size", "3", "--input-len", "4", "--output-len", "3",
            "--warmup-seconds", "0", "--temperature", "0.8", "--top-k", "20", "--top-p", "0.9", "--json");
        Assert.Equal(0, outcome.ExitCode);
        using var json = JsonDocument.Parse(outcome.Output);
        var sampling = json.RootElement.GetProperty("sampling");
        Assert.Equal(0.8, sampling.GetProperty("temperature").GetDouble());
        Assert.Equal(20, sampling.GetProperty("top_k").GetInt32());
        Assert.Equal(0.9, sampling.GetProperty("top_p").GetDouble());
    }

    [Theory]
    [InlineData("--top-p", "2", "--top-p must be in (0, 1], got 2")]
    [InlineData("--temperature", "-1", "--temperature must be a finite number >= 0 (0 = greedy), got -1")]
    [InlineData("--top-k", "-3", "--top-k must be -1, 0 (both: no limit) or a positive count, got -3")]
    public void RefusesSamplingTheEngineWouldRefuse(string option, string value, string error)
    {
        var outcome = CliRunner.InProcess("bench", "--model", TestPaths.DbrxTiny, option, value);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal($"error: {error}", outcome.Error.Trim());
    }
}
