using System.Text.Json;
using Rex.Tests;

namespace Rex.Cli.Tests.Commands;

public sealed class GenerateCommandTests
{
    // tests/fixtures/dbrx-tiny/expected.json: the greedy continuation of [100257].
    static readonly int[] Greedy = [1375, 14031, 14031, 91929, 58837, 75553, 34493, 24638, 84859, 36877, 39647, 30329, 88682, 48871, 19472, 52756];

    [Fact]
    public void JsonHoldsTokenIdsTextAndFinishReason()
    {
        var outcome = CliRunner.InProcess("generate", "--model", TestPaths.DbrxTiny, "--token-ids", "100257", "--max-tokens", "16", "--json");
        Assert.Equal(0, outcome.ExitCode);
        using var json = JsonDocument.Parse(outcome.Output);
        Assert.Equal(Greedy, json.RootElement.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("length", json.RootElement.GetProperty("finish_reason").GetString());
        Assert.Equal(Model.Tokenization.DbrxTokenizer.Default.Decode(Greedy), json.RootElement.GetProperty("text").GetString());
    }

    [Fact]
    public void LogprobsReportTheGreedyTokenAsTheMostLikelyOfItsAlternatives()
    {
        var outcome = CliRunner.InProcess("generate", "--model", TestPaths.DbrxTiny, "--token-ids", "100257", "--max-tokens", "4", "--logprobs", "3", "--json");
        Assert.True(outcome.ExitCode == 0, outcome.Error);
        using var json = JsonDocument.Parse(outcome.Output);
        var logprobs = json.RootElement.GetProperty("logprobs").EnumerateArray().ToArray();
        Assert.Equal(Greedy[..4], logprobs.Select(l => l.GetProperty("token_id").GetInt32()));
        foreach (var entry in logprobs)
        {
            var top = entry.GetProperty("top_logprobs").EnumerateArray().ToArray();
            Assert.Equal(3, top.Length);
            // Greedy takes the most likely token: it heads its own alternatives, with the same log-probability.
            Assert.Equal(entry.GetProperty("token_id").GetInt32(), top[0].GetProperty("token_id").GetInt32());
            Assert.Equal(entry.GetProperty("logprob").GetSingle(), top[0].GetProperty("logprob").GetSingle());
            Assert.Equal(Model.Tokenization.DbrxTokenizer.Default.Decode([entry.GetProperty("token_id").GetInt32()]), entry.GetProperty("token").GetString());
            Assert.True(entry.GetProperty("logprob").GetSingle() <= 0);
        }
    }

    [Fact]
    public void WithoutLogprobsTheJsonHasNone()
    {
        var outcome = CliRunner.InProcess("generate", "--model", TestPaths.DbrxTiny, "--token-ids", "100257", "--max-tokens", "2", "--json");
        Assert.False(JsonDocument.Parse(outcome.Output).RootElement.TryGetProperty("logprobs", out _));
    }

    public static TheoryData<string> Families => new(FixtureCases.Families);

    [Theory]
    [MemberData(nameof(Families))]
    public void EveryFamilysLocalGreedyTokensMatchTheFixture(string family)
    {
        var prompt = FixtureCases.Expected(family)[3];
        var outcome = CliRunner.InProcess("generate", "--model", FixtureCases.Path(family), "--token-ids", string.Join(",", prompt.PromptIds),
            "--max-tokens", "16", "--ignore-eos", "--json");
        Assert.Equal(0, outcome.ExitCode);
        using var json = JsonDocument.Parse(outcome.Output);
        Assert.Equal(prompt.GreedyIds, json.RootElement.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void WithoutJsonPrintsTheText()
    {
        var outcome = CliRunner.InProcess("generate", "--model", TestPaths.DbrxTiny, "--prompt", "The quick brown fox", "--max-tokens", "4");
        Assert.Equal(0, outcome.ExitCode);
        Assert.False(string.IsNullOrWhiteSpace(outcome.Output));
    }

    [Fact]
    public void SeededSamplingRepeats()
    {
        string[] args = ["generate", "--model", TestPaths.DbrxTiny, "--prompt", "Once upon a time", "--temperature", "0.8", "--top-p", "0.9", "--seed", "42", "--json"];
        Assert.Equal(CliRunner.InProcess(args).Output, CliRunner.InProcess(args).Output);
    }

    [Fact]
    public void ChatWrapsThePromptInTheTemplate()
    {
        var outcome = CliRunner.InProcess("generate", "--model", TestPaths.DbrxTiny, "--prompt", "Hi", "--chat", "--max-tokens", "2", "--json");
        Assert.Equal(0, outcome.ExitCode);
    }

    [Theory]
    [InlineData(new[] { "--prompt", "a", "--token-ids", "1" }, "give exactly one of --prompt and --token-ids")]
    [InlineData(new string[0], "give exactly one of --prompt and --token-ids")]
    [InlineData(new[] { "--token-ids", "1", "--chat" }, "--chat applies to --prompt")]
    [InlineData(new[] { "--prompt", "a", "--temperature", "-1" }, "error: temperature must be a finite number >= 0")]
    [InlineData(new[] { "--prompt", "a", "--top-p", "1.5" }, "error: top_p must be in (0, 1]")]
    [InlineData(new[] { "--prompt", "a", "--max-tokens", "0" }, "error: max_tokens must be at least 1")]
    [InlineData(new[] { "--prompt", "" }, "error: prompt must not be empty")]
    [InlineData(new[] { "--prompt", "a", "--dtype", "int8" }, "error: dtype 'int8' is not one of float32, bfloat16, float16")]
    public void BadArgumentsAreNamed(string[] args, string message)
    {
        var outcome = CliRunner.InProcess(["generate", "--model", TestPaths.DbrxTiny, .. args]);
        Assert.NotEqual(0, outcome.ExitCode);
        Assert.Contains(message, outcome.Error + outcome.Output);
    }
}
