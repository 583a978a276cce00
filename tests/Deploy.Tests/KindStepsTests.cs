using System.Text.RegularExpressions;
using Rex.Tests;

namespace Rex.Deploy.Tests;

/// <summary>
/// The README's kind steps build and load images by tag, then install the chart with its defaults: the tags must be
/// the images the chart runs by default (values.yaml's repositories, at Chart.yaml's appVersion when the tag is
/// empty), or the kind node, which has them only as loaded, would try to pull them and fail.
/// </summary>
public sealed partial class KindStepsTests
{
    static string Read(params string[] path) => File.ReadAllText(Path.Combine([TestPaths.RepositoryRoot, .. path]));

    [Theory]
    [InlineData("gateway")]
    [InlineData("silo")]
    public void TheReadmeBuildsAndLoadsTheImageTheChartRunsByDefault(string component)
    {
        var appVersion = AppVersion().Match(Read("helm", "rex", "Chart.yaml")).Groups["version"].Value;
        var images = ImageBlock().Match(Read("helm", "rex", "values.yaml")).Groups["block"].Value;
        var block = Regex.Match(images, $@"(?ms)^  {component}:\n(?<block>.*?)(?=^  \S|\z)").Groups["block"].Value;
        var repository = Repository().Match(block).Groups["repository"].Value;
        var tag = Tag().Match(block).Groups["tag"].Value;
        var image = $"{repository}:{(tag.Length == 0 ? appVersion : tag)}";
        var readme = Read("README.md");

        Assert.NotEqual("", appVersion);
        Assert.NotEqual("", repository);
        Assert.Contains($"docker build -f docker/{component}.Dockerfile -t {image} .", readme);
        Assert.Contains(image, KindLoad().Match(readme).Groups["images"].Value.Split(' '));
        Assert.Contains("helm install rex helm/rex --wait", readme);
    }

    [GeneratedRegex(@"(?m)^appVersion:\s*""?(?<version>[^""\s]+)""?")]
    private static partial Regex AppVersion();

    [GeneratedRegex(@"(?ms)^image:\n(?<block>.*?)^\S")]
    private static partial Regex ImageBlock();

    [GeneratedRegex(@"(?m)^\s+repository:\s*(?<repository>\S+)")]
    private static partial Regex Repository();

    [GeneratedRegex(@"(?m)^\s+tag:\s*""?(?<tag>[^""\s]*)""?")]
    private static partial Regex Tag();

    [GeneratedRegex(@"kind load docker-image (?<images>[^\n]+)")]
    private static partial Regex KindLoad();
}
