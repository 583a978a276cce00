using System.Text.Json;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// The fixture prompts and their 16 greedy tokens from tests/fixtures/dbrx-tiny/expected.json, which the local
/// engine reproduces exactly (Rex.Model.Tests): what every cluster must produce too.
/// </summary>
public static class FixtureGreedy
{
    public static (int[] Prompt, int[] Tokens)[] All { get; } = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.DbrxTiny, "expected.json")))
        .RootElement.EnumerateArray()
        .Select(p => (Ints(p, "prompt_ids"), Ints(p, "greedy_ids")))
        .ToArray();

    static int[] Ints(JsonElement element, string name) => element.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();
}
