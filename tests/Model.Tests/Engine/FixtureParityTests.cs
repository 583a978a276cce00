using System.Text.Json;
using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.Sampling;
using Rex.Tests;

namespace Rex.Model.Tests.Engine;

/// <summary>
/// The model against independently computed logits (tests/fixtures/dbrx-tiny/expected.json): at every
/// position of every prompt the 10 highest logits match in id and within 1e-3, and 16 greedy tokens match.
/// </summary>
public sealed class FixtureParityTests(FixtureEngine fixture) : IClassFixture<FixtureEngine>
{
    const double Tolerance = 1e-3;

    public sealed record ExpectedPosition(int[] TopIds, float[] TopLogits);

    public sealed record ExpectedPrompt(int[] PromptIds, ExpectedPosition[] Positions, int[] GreedyIds);

    public static IReadOnlyList<ExpectedPrompt> Expected { get; } = JsonSerializer.Deserialize<ExpectedPrompt[]>(
        File.ReadAllText(Path.Combine(TestPaths.DbrxTiny, "expected.json")),
        new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })!;

    public static TheoryData<int> Prompts => new(Enumerable.Range(0, Expected.Count));

    [Theory]
    [MemberData(nameof(Prompts))]
    public void TopTenLogitsMatchAtEveryPosition(int prompt)
    {
        var expected = Expected[prompt];
        var actual = fixture.Engine.PromptTopLogits(expected.PromptIds, 10);
        Assert.Equal(expected.Positions.Length, actual.Length);
        for (var t = 0; t < actual.Length; t++)
        {
            Assert.Equal(expected.Positions[t].TopIds, actual[t].Ids);
            for (var i = 0; i < 10; i++)
            {
                var difference = Math.Abs(expected.Positions[t].TopLogits[i] - actual[t].Logits[i]);
                Assert.True(difference <= Tolerance, $"prompt {prompt} position {t} rank {i}: |{expected.Positions[t].TopLogits[i]} - {actual[t].Logits[i]}| = {difference}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Prompts))]
    public void GreedyTokensMatch(int prompt)
    {
        var expected = Expected[prompt];
        var result = fixture.Engine.Generate([new GenerationRequest(expected.PromptIds, new SamplingParams { MaxTokens = 16, IgnoreEos = true })])[0];
        Assert.Equal(expected.GreedyIds, result.TokenIds);
    }

    [Fact]
    public void AllPromptsBatchedTogetherGiveTheSameGreedyTokens()
    {
        var sampling = new SamplingParams { MaxTokens = 16, IgnoreEos = true };
        var results = fixture.Engine.Generate(Expected.Select(e => new GenerationRequest(e.PromptIds, sampling)).ToArray());
        for (var i = 0; i < Expected.Count; i++) Assert.Equal(Expected[i].GreedyIds, results[i].TokenIds);
    }
}

/// <summary>One float32 CPU engine on the fixture checkpoint, shared by a test class.</summary>
public sealed class FixtureEngine : IDisposable
{
    public ReferenceEngine Engine { get; } = ReferenceEngine.Load(TestPaths.DbrxTiny, ComputePlacement.Cpu);

    public void Dispose() => Engine.Dispose();
}
