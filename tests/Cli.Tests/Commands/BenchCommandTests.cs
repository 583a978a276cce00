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
        Assert.Contains("--memory-bandwidth-gbs must be positive", CliRunner.InProcess("bench", "--memory-bandwidth-gbs", "0").Error);
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
