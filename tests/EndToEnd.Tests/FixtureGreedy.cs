using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// The fixture prompts and their 16 greedy tokens (tests/fixtures/{family}-tiny/expected.json), which the local
/// engine reproduces exactly (Rex.Model.Tests): what every cluster must produce too.
/// </summary>
public static class FixtureGreedy
{
    /// <summary>dbrx-tiny's, the fixture of the built-in model's family.</summary>
    public static (int[] Prompt, int[] Tokens)[] All { get; } = For("dbrx");

    public static (int[] Prompt, int[] Tokens)[] For(string family) =>
        FixtureCases.Expected(family).Select(p => (p.PromptIds, p.GreedyIds)).ToArray();
}
