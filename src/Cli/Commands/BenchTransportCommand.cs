using System.CommandLine;
using Rex.Cli.Bench;
using Rex.Model.TinyModel;

namespace Rex.Cli.Commands;

/// <summary>
/// `rex bench transport [--hidden N] [--max-rows R] [--round-trips K] [--json]`: one layer's round trip over the
/// expert data plane against a bare gRPC echo of the same bytes, on loopback, at 1, 2, 4, ... R rows.
/// </summary>
internal static class BenchTransportCommand
{
    public static Command Create()
    {
        var hidden = new Option<int?>("--hidden")
        {
            Description = "d_model of the rows (default: the built-in tiny model's; another width generates the tiny model at it)",
        };
        var maxRows = new Option<int>("--max-rows") { Description = "the largest row count; 1, 2, 4, ... up to it", DefaultValueFactory = _ => 512 };
        var roundTrips = new Option<int>("--round-trips")
        {
            Description = "round trips measured per row count, each way (fewer if 5 s run out)",
            DefaultValueFactory = _ => 200,
        };
        var json = new Option<bool>("--json") { Description = "print the figures as one JSON object" };
        var command = new Command("transport", "Measure the expert data plane's round trip against a bare gRPC echo on loopback")
        {
            hidden, maxRows, roundTrips, json,
        };
        CliAction.Set(command, (parse, output) =>
        {
            var (rows, trips) = (parse.GetValue(maxRows), parse.GetValue(roundTrips));
            if (rows < 1) throw new ArgumentException($"--max-rows must be at least 1, got {rows}", "--max-rows");
            if (trips < 1) throw new ArgumentException($"--round-trips must be at least 1, got {trips}", "--round-trips");
            var width = parse.GetValue(hidden) ?? BuiltInModel.Config.HiddenSize;
            using var widened = width == BuiltInModel.Config.HiddenSize ? null : WidenedTinyModel.Write(width);
            var report = TransportBench.Run(widened?.Path ?? BuiltInModel.EnsureCreated(), rows, trips, parse.InvocationConfiguration.Error)
                .GetAwaiter().GetResult();
            output.WriteLine(parse.GetValue(json) ? CliJson.Serialize(report) : report.ToString());
        });
        return command;
    }
}
