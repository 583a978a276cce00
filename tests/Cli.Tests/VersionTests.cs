using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Rex.Tests;

namespace Rex.Cli.Tests;

/// <summary>One version everywhere: Directory.Build.props' Version is the CLI's, the SDK's and the Helm chart's appVersion.</summary>
public sealed partial class VersionTests
{
    /// <summary>The one place the version is written.</summary>
    public static string Declared { get; } = XDocument.Load(Path.Combine(TestPaths.RepositoryRoot, "Directory.Build.props"))
        .Descendants("Version").Single().Value;

    [Fact]
    public void TheHelmChartsAppVersionIsRexsVersion()
    {
        var chart = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "helm", "rex", "Chart.yaml"));
        Assert.Equal(Declared, AppVersion().Match(chart).Groups[1].Value);
    }

    // A child process: `--version` reads the entry assembly's version, which in this process is the test host's.
    [Fact]
    public async Task RexVersionPrintsIt()
    {
        var outcome = await CliRunner.ChildProcess(new Dictionary<string, string>(), "--version");
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(Declared, outcome.Output.Trim());
    }

    [Fact]
    public void TheSdkAndTheGatewayCarryIt()
    {
        Assert.Equal(Declared, typeof(Client.RexClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion);
        Assert.Equal(Declared, Gateway.Hosting.RexVersion.Current);
    }

    [GeneratedRegex("""^appVersion:\s*"?([^"\s]+)"?\s*$""", RegexOptions.Multiline)]
    private static partial Regex AppVersion();
}
