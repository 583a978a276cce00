using System.Text.RegularExpressions;

namespace Rex.Deploy.Tests;

/// <summary>
/// The images a Dockerfile's stages start from, as `docker build` resolves them: `${NAME}` from the ARGs declared
/// before the first FROM (their defaults, or the build arguments given), stages named earlier left out.
/// </summary>
public static partial class DockerfileBases
{
    public static IReadOnlyList<string> Of(IEnumerable<string> lines, IReadOnlyDictionary<string, string>? buildArgs = null)
    {
        var args = new Dictionary<string, string>();
        var stages = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var images = new List<string>();
        foreach (var line in lines.Select(l => l.Trim()))
        {
            if (images.Count == 0 && stages.Count == 0 && ArgLine().Match(line) is { Success: true } arg)
                args[arg.Groups["name"].Value] = buildArgs?.GetValueOrDefault(arg.Groups["name"].Value) ?? arg.Groups["value"].Value;
            if (FromLine().Match(line) is not { Success: true } from) continue;
            var image = Reference().Replace(from.Groups["image"].Value, m => args.GetValueOrDefault(m.Groups["name"].Value, ""));
            if (!stages.Contains(image)) images.Add(image);
            if (from.Groups["stage"].Success) stages.Add(from.Groups["stage"].Value);
        }
        return images;
    }

    [GeneratedRegex(@"^ARG\s+(?<name>\w+)(=(?<value>\S*))?$", RegexOptions.IgnoreCase)]
    private static partial Regex ArgLine();

    [GeneratedRegex(@"^FROM\s+(--platform=\S+\s+)?(?<image>\S+)(\s+AS\s+(?<stage>\S+))?$", RegexOptions.IgnoreCase)]
    private static partial Regex FromLine();

    [GeneratedRegex(@"\$\{?(?<name>\w+)\}?")]
    private static partial Regex Reference();
}
