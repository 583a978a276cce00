using System.CommandLine;
using Rex.Cli.Bench;

namespace Rex.Cli.Commands;

/// <summary>
/// `rex bench memory [--threads T] [--buffer-mib M] [--passes P] [--json]`: this host's memory read bandwidth, the
/// peak that `rex bench --peak-bandwidth` takes (and measures itself when not given one).
/// </summary>
internal static class BenchMemoryCommand
{
    /// <summary>Far above the caches of any CPU Rex runs on, and small enough that a float sum of ones stays exact.</summary>
    public const int DefaultBufferMib = 512;

    public static Command Create()
    {
        var threads = new Option<int>("--threads") { Description = "threads reading at once (default: one per core)" };
        var buffer = new Option<int>("--buffer-mib") { Description = "MiB each pass reads (64 to 2048)", DefaultValueFactory = _ => DefaultBufferMib };
        var passes = new Option<int>("--passes") { Description = "passes over the buffer; the best counts", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "print the figures as one JSON object" };
        var command = new Command("memory", "Measure this host's memory read bandwidth (the roofline's peak)") { threads, buffer, passes, json };
        CliAction.Set(command, (parse, output) =>
        {
            var count = parse.GetValue(threads) is > 0 and var t ? t : Environment.ProcessorCount;
            if (parse.GetValue(threads) < 0) throw new ArgumentException($"--threads must be positive, got {parse.GetValue(threads)}", "--threads");
            var mib = parse.GetValue(buffer);
            if (mib is < 64 or > 2048) throw new ArgumentException($"--buffer-mib must be 64 to 2048, got {mib}", "--buffer-mib");
            var n = parse.GetValue(passes);
            if (n < 1) throw new ArgumentException($"--passes must be at least 1, got {n}", "--passes");
            var report = MemoryBandwidth.Measure(count, (long)mib << 20, n);
            output.WriteLine(parse.GetValue(json) ? CliJson.Serialize(report) : report.ToString());
        });
        return command;
    }
}
