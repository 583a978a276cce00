using System.Diagnostics;
using System.Text;
using Rex.Tests;

namespace Rex.Deploy.Tests;

/// <summary>
/// helm/test-chart.sh: lints and renders the chart with every value set in helm/rex/ci, validates the objects
/// against the Kubernetes API schemas and asserts what each set must produce; k8s/ too. Offline after the first
/// run, which fetches its tools with npm into ~/.cache/rex/tools.
/// </summary>
public sealed class ChartTests
{
    static readonly string Script = Path.Combine(TestPaths.RepositoryRoot, "helm", "test-chart.sh");

    [Fact]
    public async Task ChartAndManifestsPassTheirChecks()
    {
        var (exitCode, output) = await Run(Script);
        Assert.True(exitCode == 0, $"helm/test-chart.sh exited {exitCode}:\n{output}");
    }

    [Fact]
    public async Task MisspeltFieldInATemplateFailsTheChecks()
    {
        using var scratch = new TemporaryDirectory();
        var chart = Path.Combine(scratch.Path, "rex");
        CopyDirectory(Path.Combine(TestPaths.RepositoryRoot, "helm", "rex"), chart);
        var template = Path.Combine(chart, "templates", "silo-statefulset.yaml");
        await File.WriteAllTextAsync(template, (await File.ReadAllTextAsync(template)).Replace("readinessProbe:", "readinesProbe:"));

        var (exitCode, output) = await Run(Script, chart);

        Assert.True(exitCode != 0, $"helm/test-chart.sh passed a chart with a misspelt field:\n{output}");
        Assert.Contains("'\"readinesProbe\"' does not exist in type 'IContainer'", output);
    }

    /// <summary>Runs the script to its end (first runs download tools: up to ten minutes), stdout and stderr together.</summary>
    static async Task<(int ExitCode, string Output)> Run(string script, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} ran over ten minutes:\n{output}");
        }
        process.WaitForExit(); // drains the asynchronous output readers
        lock (output) return (process.ExitCode, output.ToString());
    }

    static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
    }
}
