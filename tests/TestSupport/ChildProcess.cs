using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace Rex.Tests;

/// <summary>A real child process of a built Rex program (`dotnet X.dll args`), its output captured line by line.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    readonly Process process;
    readonly StringBuilder output = new();
    readonly StringBuilder error = new();
    readonly BlockingCollection<string> lines = new();

    ChildProcess(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            lines.Add(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (error) error.AppendLine(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public sealed record Outcome(int ExitCode, string Output, string Error);

    public string Output
    {
        get
        {
            lock (output) return output.ToString();
        }
    }

    public string Error
    {
        get
        {
            lock (error) return error.ToString();
        }
    }

    /// <summary>
    /// Starts `dotnet program args` with the program taken from beside the test assembly. With `input`, that text is
    /// its whole stdin (UTF-8, closed after it); without, stdin is inherited.
    /// </summary>
    public static ChildProcess Start(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null,
        string? input = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            // No byte-order mark: it would arrive as the first character of the input.
            StandardInputEncoding = input is null ? null : new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var child = new ChildProcess(Process.Start(start)!);
        if (input is not null)
        {
            child.process.StandardInput.Write(input);
            child.process.StandardInput.Close();
        }
        return child;
    }

    /// <summary>Runs a program to its end (at most two minutes).</summary>
    public static async Task<Outcome> Run(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null,
        string? input = null)
    {
        await using var child = Start(program, args, environment, input);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await child.process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // What it printed says where it stuck; the caller's clean-up (a cluster's `down`) still runs.
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not end within 2 minutes; output:\n{child.Output}\nerrors:\n{child.Error}");
        }
        child.process.WaitForExit(); // drains the asynchronous output readers
        return new Outcome(child.process.ExitCode, child.Output, child.Error);
    }

    /// <summary>Waits for an output line that contains `text` and returns it.</summary>
    public string WaitForLine(string text, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            foreach (var line in lines.GetConsumingEnumerable(cancel.Token))
                if (line.Contains(text, StringComparison.Ordinal)) return line;
        }
        catch (OperationCanceledException)
        {
            // Reported below.
        }
        throw new TimeoutException($"no line with '{text}' within {timeout.TotalSeconds:F0} s; output:\n{Output}\nerrors:\n{Error}");
    }

    public bool HasExited => process.HasExited;

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
        lines.Dispose();
    }
}
