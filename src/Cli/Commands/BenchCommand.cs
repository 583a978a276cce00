using System.CommandLine;
using System.Diagnostics;
using Rex.Model.Engine;
using Rex.Model.Sampling;

namespace Rex.Cli.Commands;

/// <summary>
/// `rex bench [--model DIR] --batch-size B --input-len I --output-len O [--json]`: throughput of the local
/// single-process engine. Prefill time is a run with one output token; decode rate is the rest of a full run.
/// </summary>
internal static class BenchCommand
{
    sealed record Report(string Model, string DType, int Cores, int TorchThreads, int BatchSize, int InputLen, int OutputLen,
        double PrefillSeconds, double TotalSeconds, double DecodeTokensPerSecond, double OutputTokensPerSecond);

    public static Command Create()
    {
        var model = new ModelOptions();
        var batchSize = new Option<int>("--batch-size") { Description = "prompts generated together", DefaultValueFactory = _ => 1 };
        var inputLen = new Option<int>("--input-len") { Description = "prompt tokens per request", DefaultValueFactory = _ => 32 };
        var outputLen = new Option<int>("--output-len") { Description = "generated tokens per request", DefaultValueFactory = _ => 64 };
        var json = new Option<bool>("--json") { Description = "print the figures as one JSON object" };
        var command = new Command("bench", "Measure local engine throughput (tokens/s)") { batchSize, inputLen, outputLen, json };
        model.AddTo(command);
        CliAction.Set(command, (parse, output) =>
        {
            var (batch, input, generated) = (parse.GetValue(batchSize), parse.GetValue(inputLen), parse.GetValue(outputLen));
            if (batch < 1) throw new ArgumentException($"--batch-size must be at least 1, got {batch}", "--batch-size");
            if (input < 1) throw new ArgumentException($"--input-len must be at least 1, got {input}", "--input-len");
            if (generated < 2) throw new ArgumentException($"--output-len must be at least 2, got {generated}", "--output-len");
            var path = model.ModelPath(parse);
            using var engine = model.LoadEngine(parse);
            var prompts = Prompts(batch, input);

            Run(engine, prompts, 2); // warm-up: first-touch allocations and kernel selection
            var prefill = Run(engine, prompts, 1);
            var total = Run(engine, prompts, generated);
            var report = new Report(path, parse.GetValue(model.DType)!, Environment.ProcessorCount, TorchSharp.torch.get_num_threads(),
                batch, input, generated, prefill, total,
                batch * (generated - 1) / Math.Max(total - prefill, 1e-9), batch * generated / total);
            output.WriteLine(parse.GetValue(json)
                ? CliJson.Serialize(report)
                : $"local engine, {report.DType}, {report.Cores} cores ({report.TorchThreads} torch threads), batch {batch}, " +
                  $"input {input}, output {generated}: prefill {prefill * 1000:F1} ms, decode {report.DecodeTokensPerSecond:F1} tokens/s, " +
                  $"overall {report.OutputTokensPerSecond:F1} output tokens/s");
        });
        return command;
    }

    static double Run(ReferenceEngine engine, int[][] prompts, int maxTokens)
    {
        var sampling = new SamplingParams { MaxTokens = maxTokens, IgnoreEos = true };
        var clock = Stopwatch.StartNew();
        engine.Generate(prompts.Select(p => new GenerationRequest(p, sampling)).ToArray());
        return clock.Elapsed.TotalSeconds;
    }

    // Deterministic ordinary-text token ids, different for every prompt.
    static int[][] Prompts(int batch, int length)
    {
        var random = new SequenceRandom(7);
        return Enumerable.Range(0, batch)
            .Select(_ => Enumerable.Range(0, length).Select(_ => (int)(random.NextDouble() * 100000)).ToArray())
            .ToArray();
    }
}
