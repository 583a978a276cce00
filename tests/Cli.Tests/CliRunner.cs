using System.CommandLine;
using Rex.Tests;

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
        var outcome = await Rex.Tests.ChildProcess.Run("rex.dll", args, environment);
        return new Outcome(outcome.ExitCode, outcome.Output, outcome.Error);
    }

    /// <summary>The same, with `input` as the whole of its stdin.</summary>
    public static async Task<Outcome> ChildProcessWithInput(string input, params string[] args)
    {
        var outcome = await Rex.Tests.ChildProcess.Run("rex.dll", args, input: input);
        return new Outcome(outcome.ExitCode, outcome.Output, outcome.Error);
    }
}
