using System.Text.Json;
using Rex.Tests;

namespace Rex.Cli.Tests.Commands;

public sealed class LogitsCommandTests
{
    public static TheoryData<string> Families => new(FixtureCases.Families);

    [Theory]
    [MemberData(nameof(Families))]
    public void PrintsTheTopLogitsOfEveryPositionMatchingTheFixture(string family)
    {
        var prompt = FixtureCases.Expected(family)[2];
        var outcome = CliRunner.InProcess("logits", "--model", FixtureCases.Path(family), "--token-ids", string.Join(",", prompt.PromptIds));
        Assert.Equal(0, outcome.ExitCode);
        using var printed = JsonDocument.Parse(outcome.Output);
        var positions = printed.RootElement.GetProperty("positions").EnumerateArray().ToArray();
        Assert.Equal(prompt.Positions.Length, positions.Length);
        for (var t = 0; t < positions.Length; t++)
        {
            Assert.Equal(prompt.Positions[t].TopIds[..5], Ints(positions[t], "top_ids")[..5]);
            var logits = Ints(positions[t], "top_ids").Zip(positions[t].GetProperty("top_logits").EnumerateArray().Select(e => e.GetDouble()))
                .ToDictionary(p => p.First, p => p.Second);
            Assert.All(prompt.Positions[t].TopIds.Zip(prompt.Positions[t].TopLogits),
                pair => Assert.True(Math.Abs(logits[pair.First] - pair.Second) <= 1e-3, $"{family} position {t} id {pair.First}"));
        }
    }

    [Fact]
    public void TopSetsHowManyLogitsPerPosition()
    {
        var outcome = CliRunner.InProcess("logits", "--model", TestPaths.DbrxTiny, "--token-ids", "1, 2,3", "--top", "3");
        using var printed = JsonDocument.Parse(outcome.Output);
        var positions = printed.RootElement.GetProperty("positions").EnumerateArray().ToArray();
        Assert.Equal(3, positions.Length);
        Assert.All(positions, p => Assert.Equal(3, p.GetProperty("top_ids").GetArrayLength()));
    }

    [Theory]
    [InlineData("1,x,3", "error: --token-ids: 'x' is not a token id")]
    [InlineData("1,-2", "error: --token-ids: '-2' is not a token id")]
    [InlineData("5,100352", "error: token_ids holds token id 100352, outside the vocabulary [0, 100352)")]
    public void BadTokenIdsAreNamed(string ids, string message)
    {
        var outcome = CliRunner.InProcess("logits", "--model", TestPaths.DbrxTiny, "--token-ids", ids);
        Assert.Equal(1, outcome.ExitCode);
        Assert.StartsWith(message, outcome.Error);
        Assert.Empty(outcome.Output);
    }

    [Fact]
    public void AMissingModelDirectoryIsNamed()
    {
        var outcome = CliRunner.InProcess("logits", "--model", "/nonexistent/model", "--token-ids", "1");
        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal("error: /nonexistent/model: model directory not found", outcome.Error.Trim());
    }

    static int[] Ints(JsonElement element, string name) => element.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();
}
