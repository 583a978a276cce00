using System.Text.RegularExpressions;

namespace Rex.Deploy.Tests;

/// <summary>
/// The image a Dockerfile's final stage runs on, as `docker build` resolves it: `${NAME}` from the ARGs declared
/// before the first FROM (their defaults, or the build arguments given), and a stage named in FROM followed to the
/// image that stage starts from.
/// </summary>
public static partial class DockerfileBase
{
    public static string Final(IEnumerable<string> lines, IReadOnlyDictionary<string, string>? buildArgs = null)
    {
        var args = new Dictionary<string, string>();
        var stages = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? last = null;
        foreach (var line in lines.Select(l => l.Trim()))
        {
            if (last is null && ArgLine().Match(line) is { Success: true } arg)
            {
                var name = arg.Groups["name"].Value;
                args[name] = buildArgs?.GetValueOrDefault(name) ?? arg.Groups["value"].Value;
            }
            if (FromLine().Match(line) is not { Success: true } from) continue;
            var image = Reference().Replace(from.Groups["image"].Value, m => args.GetValueOrDefault(m.Groups["name"].Value, ""));
            last = stages.GetValueOrDefault(image, image);
            if (from.Groups["stage"].Success) stages[from.Groups["stage"].Value] = last;
        }
        return last ?? throw new InvalidOperationException("no FROM line");
    }

    [GeneratedRegex(@"^ARG\s+(?<name>\w+)(=(?<value>\S*))?$", RegexOptions.IgnoreCase)]
    private static partial Regex ArgLine();

    [GeneratedRegex(@"^FROM\s+(--platform=\S+\s+)?(?<image>\S+)(\s+AS\s+(?<stage>\S+))?$", RegexOptions.IgnoreCase)]
    private static partial Regex FromLine();

    [GeneratedRegex(@"\$\{?(?<name>\w+)\}?")]
    private static partial Regex Reference();
}
