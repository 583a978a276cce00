namespace Rex.EndToEnd.Tests;

/// <summary>
/// How a running Rex process was started, read from /proc: its program (`Rex.Gateway.dll`, `Rex.Silo.dll`), its
/// arguments, and its `REX_` environment (the cluster's data-plane secret and membership credentials), so a test can
/// kill it and start it again as a supervisor would.
/// </summary>
public sealed record ProcessLaunch(string Program, string[] Args, IReadOnlyDictionary<string, string> Environment)
{
    public static ProcessLaunch Of(int pid)
    {
        // `dotnet PATH/Program.dll args...`
        var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        var variables = File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(v => v.Split('=', 2))
            .Where(v => v.Length == 2 && v[0].StartsWith("REX_", StringComparison.Ordinal))
            .ToDictionary(v => v[0], v => v[1]);
        return new ProcessLaunch(Path.GetFileName(commandLine[1]), commandLine[2..], variables);
    }
}
