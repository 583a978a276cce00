using System.Collections.Concurrent;
using System.Text.Json;

namespace Rex.Tests;

/// <summary>One listed position of a fixture prompt: the 10 highest logits of a full causal pass.</summary>
public sealed record FixturePosition(int[] TopIds, float[] TopLogits);

/// <summary>One fixture prompt with its independently computed logits and 16 greedy tokens.</summary>
public sealed record FixturePrompt(int[] PromptIds, FixturePosition[] Positions, int[] GreedyIds);

/// <summary>
/// The family fixtures in tests/fixtures (`{family}-tiny`, copied from the shared set) and their expected.json: what
/// the local engine, the embedded gateway and every cluster must reproduce.
/// </summary>
public static class FixtureCases
{
    /// <summary>Every family with a fixture that Rex serves.</summary>
    public static IReadOnlyList<string> Families { get; } = ["dbrx", "mixtral", "qwen2_moe", "qwen3_moe", "olmoe"];

    static readonly ConcurrentDictionary<string, FixturePrompt[]> Loaded = new();

    public static string Path(string family) => System.IO.Path.Combine(TestPaths.Fixtures, $"{family}-tiny");

    public static IReadOnlyList<FixturePrompt> Expected(string family) => Loaded.GetOrAdd(family, f =>
        JsonSerializer.Deserialize<FixturePrompt[]>(File.ReadAllText(System.IO.Path.Combine(Path(f), "expected.json")),
            new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })!);
}
