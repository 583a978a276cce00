using System.CommandLine;
using Rex.Cli.Bench;

namespace Rex.Cli.Commands;

/// <summary>
/// `rex bench [--server URL --concurrency C --requests N | --model DIR --batch-size B] --input-len I --output-len O
/// [--temperature T --top-p P --top-k K] [--json]`:
/// throughput of a Rex server under concurrent streamed load, with TTFT, TPOT and latency percentiles and a progress
/// bar on stderr, or of the local single-process engine on one batch; either with the bytes a decode step reads, the
/// bandwidth achieved and its fraction of the peak (`--peak-bandwidth`, or measured); `rex bench transport`, the data
/// plane alone; `rex bench memory`, the host's read bandwidth.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var apiKey = new ApiKeyOption();
        var server = new Option<string?>(UnreachableServer.ServerOption) { Description = "a Rex gateway to load; without it, the local engine" };
        var concurrency = new Option<int>("--concurrency") { Description = "concurrent requests (server)", DefaultValueFactory = _ => 1 };
        var requests = new Option<int>("--requests") { Description = "requests in all (server; default 4 x concurrency)" };
        var batchSize = new Option<int>("--batch-size") { Description = "prompts generated together (local)", DefaultValueFactory = _ => 1 };
        var inputLen = new Option<int>("--input-len") { Description = "prompt tokens per request", DefaultValueFactory = _ => 32 };
        var outputLen = new Option<int>("--output-len") { Description = "generated tokens per request", DefaultValueFactory = _ => 64 };
        var warmup = new Option<double>("--warmup-seconds")
        {
            Description = "generate untimed at full length for this long first (at least once), so code is compiled and connections open",
            DefaultValueFactory = _ => 2,
        };
        var temperature = new Option<double>("--temperature") { Description = "sampling temperature of every request; 0 (default): greedy" };
        var topP = new Option<double>("--top-p") { Description = "nucleus sampling of every request", DefaultValueFactory = _ => 1 };
        var topK = new Option<int>("--top-k") { Description = "top-k sampling of every request; 0: no limit" };
        var json = new Option<bool>("--json") { Description = "print the figures as one JSON object" };
        var bandwidth = new Option<double?>("--peak-bandwidth", "--memory-bandwidth-gbs")
        {
            Description = "the device's peak memory read bandwidth in GB/s (`rex bench memory` measures a host's); the decode roofline and the " +
                "fraction of it reached. Local on a CPU without it: measured first",
        };
        var command = new Command("bench", "Measure throughput (tokens/s) of a server or the local engine")
        {
            server, concurrency, requests, batchSize, inputLen, outputLen, warmup, temperature, topP, topK, json, bandwidth,
        };
        model.AddTo(command);
        model.AddDeviceTo(command);
        apiKey.AddTo(command);
        command.Add(BenchTransportCommand.Create());
        command.Add(BenchMemoryCommand.Create());
        CliAction.Set(command, (parse, output) =>
        {
            var peak = parse.GetValue(bandwidth);
            if (peak is { } given) Require(double.IsFinite(given) && given > 0, "--peak-bandwidth", given, "positive");
            var (input, generated) = (parse.GetValue(inputLen), parse.GetValue(outputLen));
            Require(input >= 1, "--input-len", input, "at least 1");
            Require(generated >= 2, "--output-len", generated, "at least 2");
            var warmupSeconds = parse.GetValue(warmup);
            Require(double.IsFinite(warmupSeconds) && warmupSeconds >= 0, "--warmup-seconds", warmupSeconds, "0 or more");
            var warmupTime = TimeSpan.FromSeconds(warmupSeconds);
            var sampling = new BenchSampling(parse.GetValue(temperature), parse.GetValue(topP), parse.GetValue(topK)).Validate();
            object report;
            if (parse.GetValue(server) is { } address)
            {
                var clients = parse.GetValue(concurrency);
                Require(clients >= 1, "--concurrency", clients, "at least 1");
                var total = parse.GetValue(requests) is > 0 and var n ? n : 4 * clients;
                report = ServerBench.Run(apiKey.ClientOptions(parse, address), clients, total, input, generated, sampling, warmupTime, peak,
                    parse.InvocationConfiguration.Error).GetAwaiter().GetResult();
            }
            else
            {
                var batch = parse.GetValue(batchSize);
                Require(batch >= 1, "--batch-size", batch, "at least 1");
                // Measured before the model loads, while the memory is the bench's alone; only a CPU's is the host's.
                var measured = peak is null && model.OnCpu(parse);
                if (measured) peak = MemoryBandwidth.Measure(Environment.ProcessorCount, (long)BenchMemoryCommand.DefaultBufferMib << 20, passes: 5).BestGbs;
                using var engine = model.LoadEngine(parse);
                report = LocalBench.Run(engine, model.ModelPath(parse), parse.GetValue(model.DType)!, batch, input, generated, sampling, warmupTime, peak, measured);
            }
            output.WriteLine(parse.GetValue(json) ? CliJson.Serialize(report) : report.ToString());
        });
        return command;
    }

    static void Require(bool condition, string option, double value, string rule)
    {
        if (!condition) throw new ArgumentException($"{option} must be {rule}, got {value}", option);
    }
}
