using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.Sampling;
using Rex.Tests;

namespace Rex.Model.Tests.Engine;

/// <summary>
/// Every family's model against independently computed logits (tests/fixtures/{family}-tiny/expected.json): at
/// every position of every prompt the 10 highest logits match in id and within 1e-3 (the top 5 in order), and 16
/// greedy tokens match, one prompt at a time and all batched together.
/// </summary>
public sealed class FixtureParityTests(FixtureEngines engines) : IClassFixture<FixtureEngines>
{
    const double Tolerance = 1e-3;

    public static TheoryData<string, int> Prompts
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var family in FixtureCases.Families)
                for (var prompt = 0; prompt < FixtureCases.Expected(family).Count; prompt++) data.Add(family, prompt);
            return data;
        }
    }

    public static TheoryData<string> Families => new(FixtureCases.Families);

    [Theory]
    [MemberData(nameof(Prompts))]
    public void TopTenLogitsMatchAtEveryPosition(string family, int prompt)
    {
        var expected = FixtureCases.Expected(family)[prompt];
        var actual = engines.For(family).PromptTopLogits(expected.PromptIds, 10);
        Assert.Equal(expected.Positions.Length, actual.Length);
        for (var t = 0; t < actual.Length; t++)
        {
            Assert.Equal(expected.Positions[t].TopIds[..5], actual[t].Ids[..5]);
            var logits = actual[t].Ids.Zip(actual[t].Logits).ToDictionary(p => p.First, p => p.Second);
            for (var i = 0; i < 10; i++)
            {
                var id = expected.Positions[t].TopIds[i];
                Assert.True(logits.ContainsKey(id), $"{family} prompt {prompt} position {t}: id {id} (rank {i}) is not among the top 10");
                var difference = Math.Abs(expected.Positions[t].TopLogits[i] - logits[id]);
                Assert.True(difference <= Tolerance, $"{family} prompt {prompt} position {t} id {id}: |{expected.Positions[t].TopLogits[i]} - {logits[id]}| = {difference}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Prompts))]
    public void GreedyTokensMatch(string family, int prompt)
    {
        var expected = FixtureCases.Expected(family)[prompt];
        var result = engines.For(family).Generate([new GenerationRequest(expected.PromptIds, new SamplingParams { MaxTokens = 16, IgnoreEos = true })])[0];
        Assert.Equal(expected.GreedyIds, result.TokenIds);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void AllPromptsBatchedTogetherGiveTheSameGreedyTokens(string family)
    {
        var expected = FixtureCases.Expected(family);
        var sampling = new SamplingParams { MaxTokens = 16, IgnoreEos = true };
        var results = engines.For(family).Generate(expected.Select(e => new GenerationRequest(e.PromptIds, sampling)).ToArray());
        for (var i = 0; i < expected.Count; i++) Assert.Equal(expected[i].GreedyIds, results[i].TokenIds);
    }
}

/// <summary>One float32 CPU engine per family fixture, loaded on first use and shared by a test class.</summary>
public sealed class FixtureEngines : IDisposable
{
    readonly Dictionary<string, ReferenceEngine> engines = [];

    public ReferenceEngine For(string family)
    {
        lock (engines)
        {
            if (!engines.TryGetValue(family, out var engine))
                engines[family] = engine = ReferenceEngine.Load(FixtureCases.Path(family), ComputePlacement.Cpu);
            return engine;
        }
    }

    public void Dispose()
    {
        foreach (var engine in engines.Values) engine.Dispose();
    }
}
