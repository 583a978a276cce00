using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Rex.Cli.Cluster;

/// <summary>
/// Starts Rex programs as detached processes that outlive the command (own session via setsid, output to a log
/// file), and stops them: SIGTERM first for a graceful shutdown, SIGKILL after a grace period.
/// </summary>
public static partial class ChildProcesses
{
    const int SigInt = 2;
    const int SigTerm = 15;
    const int SigKill = 9;

    /// <summary>Starts `dotnet program args...` beside rex.dll, appending its output to `log`; returns its pid.</summary>
    public static int Start(string program, IEnumerable<string> args, string log, string workingDirectory)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, program);
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing: build src/Cli (it builds the gateway and silo too)", dll);
        // sh execs setsid, which execs dotnet: one pid throughout. Arguments travel as positional parameters, unquoted.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var arg in new[] { "-c", "log=$1; shift; exec setsid \"$@\" >>\"$log\" 2>&1 </dev/null", "sh", log, DotnetHost(), dll })
            start.ArgumentList.Add(arg);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        return process.Id;
    }

    /// <summary>
    /// Whether `pid` is alive and is one of our programs (a recycled pid is never ours). While a process is between
    /// sh, setsid and dotnet its command line can read empty for an instant; its name then still says which it is.
    /// </summary>
    public static bool IsRunning(int pid, string program)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat").Split(' ');
            if (stat[2] == "Z") return false;
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline");
            return commandLine.Length == 0 ? stat[1] is "(sh)" or "(setsid)" or "(dotnet)" : commandLine.Contains(program, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// SIGTERM (an expert silo drains: moves its experts to the other silos first) or, when not draining, SIGINT
    /// (stops at once); then SIGKILL if it is still running after `grace`.
    /// </summary>
    public static async Task Stop(int pid, string program, TimeSpan grace, bool drain = false)
    {
        if (!IsRunning(pid, program)) return;
        Kill(pid, drain ? SigTerm : SigInt);
        var clock = Stopwatch.StartNew();
        while (IsRunning(pid, program) && clock.Elapsed < grace) await Task.Delay(100);
        if (IsRunning(pid, program)) Kill(pid, SigKill);
    }

    static string DotnetHost() => Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
