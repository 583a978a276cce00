using System.CommandLine;
using System.Diagnostics;

namespace Rex.Cli.Tests;

/// <summary>Runs `rex` in this process (the parsed command, output captured) or as a real child process.</summary>
public static class CliRunner
{
    public sealed record Outcome(int ExitCode, string Output, string Error);

    public static Outcome InProcess(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = RexCommand.Create().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return new Outcome(exit, output.ToString(), error.ToString());
    }

    /// <summary>Starts the built `rex` (rex.dll beside the tests) with `dotnet`, as a user would run it.</summary>
    public static async Task<Outcome> ChildProcess(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rex.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new Outcome(process.ExitCode, await output, await error);
    }
}
