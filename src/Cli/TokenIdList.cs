namespace Rex.Cli;

/// <summary>Parses `--token-ids 1,2,3`.</summary>
internal static class TokenIdList
{
    public static int[] Parse(string csv, string option)
    {
        var parts = csv.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new ArgumentException($"{option} must list at least one token id", option);
        return parts.Select(p => int.TryParse(p, out var id) && id >= 0
                ? id
                : throw new ArgumentException($"{option}: '{p}' is not a token id (a non-negative integer)", option))
            .ToArray();
    }
}
