using Rex.Tests;

namespace Rex.Model.Tests.Reference;

/// <summary>The scalar reference itself must reproduce every family's independent fixture before it may judge the engine.</summary>
public sealed class NaiveMoeTests
{
    public static TheoryData<string> Families => new(FixtureCases.Families);

    [Theory]
    [MemberData(nameof(Families))]
    public void ReproducesTheFixtureLogits(string family)
    {
        var reference = new NaiveMoe(FixtureCases.Path(family));
        foreach (var prompt in FixtureCases.Expected(family).Take(3))
        {
            var logits = reference.Logits(prompt.PromptIds);
            for (var t = 0; t < logits.Length; t++)
            {
                var expected = prompt.Positions[t];
                for (var i = 0; i < expected.TopIds.Length; i++)
                    Assert.True(Math.Abs(logits[t][expected.TopIds[i]] - expected.TopLogits[i]) <= 1e-3,
                        $"{family} position {t} id {expected.TopIds[i]}: {logits[t][expected.TopIds[i]]} vs {expected.TopLogits[i]}");
            }
        }
    }
}
