using System.Diagnostics;

namespace Rex.EndToEnd.Tests;

/// <summary>The curl command as a child process: the API as a user reaches it from a shell.</summary>
public static class Curl
{
    public sealed record Reply(int Status, string Body);

    /// <summary>`curl -sS -N` POSTing a JSON body; -N so a stream arrives as it is sent, not at the end of a buffer.</summary>
    public static async Task<Reply> Post(string url, string json, params string[] headers)
    {
        var start = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["-sS", "-N", "-H", "Content-Type: application/json", "-d", json, "-w", "\n%{http_code}", url])
            start.ArgumentList.Add(arg);
        foreach (var header in headers)
        {
            start.ArgumentList.Add("-H");
            start.ArgumentList.Add(header);
        }
        using var curl = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var output = curl.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = curl.StandardError.ReadToEndAsync(timeout.Token);
        await curl.WaitForExitAsync(timeout.Token);
        Assert.True(curl.ExitCode == 0, $"curl exited with {curl.ExitCode}: {await error}");
        var text = await output;
        var split = text.LastIndexOf('\n');
        return new Reply(int.Parse(text[(split + 1)..]), text[..split]);
    }
}
