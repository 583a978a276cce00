using Rex.Tests;

namespace Rex.Model.Tests.Reference;

/// <summary>The scalar reference itself must reproduce the independent fixture before it may judge the engine.</summary>
public sealed class NaiveDbrxTests
{
    [Fact]
    public void ReproducesTheFixtureLogits()
    {
        var reference = new NaiveDbrx(TestPaths.DbrxTiny);
        foreach (var prompt in Engine.FixtureParityTests.Expected.Take(3))
        {
            var logits = reference.Logits(prompt.PromptIds);
            for (var t = 0; t < logits.Length; t++)
            {
                var expected = prompt.Positions[t];
                for (var i = 0; i < expected.TopIds.Length; i++)
                    Assert.True(Math.Abs(logits[t][expected.TopIds[i]] - expected.TopLogits[i]) <= 1e-3,
                        $"position {t} id {expected.TopIds[i]}: {logits[t][expected.TopIds[i]]} vs {expected.TopLogits[i]}");
            }
        }
    }
}
