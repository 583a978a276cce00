using System.Diagnostics;
using System.Text.Json;
using Rex.Tests;

namespace Rex.Cli.Tests;

/// <summary>
/// `dotnet pack src/Cli` makes a .NET tool that `dotnet tool install` installs and whose `rex` runs the engine: its
/// package carries libtorch's native libraries. About a minute: the pack reuses this build (--no-build) but zips
/// libtorch.
/// </summary>
public sealed class ToolPackageTests
{
    static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task TheInstalledToolPrintsRexsVersionAndGeneratesTheFixturesGreedyTokens()
    {
        using var work = new TemporaryDirectory();
        // The configuration this test was built in (bin/<configuration>/net10.0), whose rex.dll the pack takes.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var packages = work.File("packages");
        await Run("dotnet", ["pack", Path.Combine(TestPaths.RepositoryRoot, "src", "Cli"), "-c", configuration, "--no-build", "-o", packages]);
        Assert.True(File.Exists(Path.Combine(packages, $"Rex.Cli.{VersionTests.Declared}.nupkg")));

        var tools = work.File("tools");
        // A NuGet cache of its own: the machine's may hold an older package of the same version.
        await Run("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", packages, "Rex.Cli", "--version", VersionTests.Declared],
            new() { ["NUGET_PACKAGES"] = work.File("nuget") });

        var rex = Path.Combine(tools, OperatingSystem.IsWindows() ? "rex.exe" : "rex");
        Assert.Equal(VersionTests.Declared, (await Run(rex, ["--version"])).Trim());
        var generated = await Run(rex, ["generate", "--model", TestPaths.DbrxTiny, "--token-ids", "100257", "--max-tokens", "4", "--json"]);
        // tests/fixtures/dbrx-tiny/expected.json: the greedy continuation of [100257] (GenerateCommandTests).
        Assert.Equal([1375, 14031, 14031, 91929],
            JsonDocument.Parse(generated).RootElement.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()));
    }

    /// <summary>Runs a program to its end and returns its stdout; a failure or a hang fails the test with what it printed.</summary>
    static async Task<string> Run(string program, string[] args, Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? []) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StepTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not end within {StepTimeout}");
        }
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} exited with {process.ExitCode}:\n{await output}\n{await error}");
        return await output;
    }
}
