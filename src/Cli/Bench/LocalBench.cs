using System.Diagnostics;
using Rex.Model.Engine;
using Rex.Model.Layers;
using Rex.Model.Sampling;

namespace Rex.Cli.Bench;

/// <summary>
/// Throughput of the local single-process engine for one batch of requests generated together. Prefill time is the
/// run's first step (every prompt, and each sequence's first token); the decode rate is the rest of the same run. The batch decodes in lockstep, so every
/// request's time per output token after the first (TPOT) is the same: the decode time over its steps.
/// </summary>
internal static class LocalBench
{
    /// <param name="StepBytes">What one decode step must read at mid-run context (<see cref="DecodeRoofline"/>).</param>
    /// <param name="AchievedBandwidthGbs">Those bytes over the measured TPOT: the bandwidth the decode reached (gpt-fast's "bandwidth achieved").</param>
    /// <param name="PeakBandwidthGbs">The device's peak read bandwidth, given (`--peak-bandwidth`) or, on a CPU, measured (<see cref="MemoryBandwidth"/>).</param>
    /// <param name="RooflineTokensPerSecond">The decode rate at the memory roofline: those bytes at the peak.</param>
    /// <param name="RooflineFraction">The measured decode rate over that roofline (equally, achieved over peak bandwidth).</param>
    public sealed record Report(string Model, string ModelType, string DType, int Cores, int TorchThreads, int BatchSize, int InputLen, int OutputLen,
        BenchSampling Sampling, double WarmupSeconds, double PrefillSeconds, double TotalSeconds, double DecodeTokensPerSecond, double OutputTokensPerSecond,
        double TpotSeconds, double StepBytes, double AchievedBandwidthGbs, double? PeakBandwidthGbs, bool PeakMeasured, double? RooflineTokensPerSecond,
        double? RooflineFraction)
    {
        public override string ToString() =>
            $"local engine, {ModelType}, {DType}, {Cores} cores ({TorchThreads} torch threads), batch {BatchSize}, input {InputLen}, output {OutputLen}, {Sampling}, " +
            $"after {WarmupSeconds:F1} s warm-up: " +
            $"prefill {PrefillSeconds * 1000:F1} ms, decode {DecodeTokensPerSecond:F1} tokens/s (TPOT {TpotSeconds * 1000:F1} ms), " +
            $"overall {OutputTokensPerSecond:F1} output tokens/s; a decode step reads {StepBytes / 1e6:F1} MB: {AchievedBandwidthGbs:F1} GB/s achieved" +
            (RooflineFraction is { } fraction
                ? $", {100 * fraction:F1}% of the {PeakBandwidthGbs:F1} GB/s peak ({(PeakMeasured ? "measured" : "given")}; roofline {RooflineTokensPerSecond:F1} tokens/s)"
                : "");
    }

    /// <param name="warmup">How long to generate untimed first (at least one full run): .NET compiles hot code at full
    /// optimization only after it has run a while, and first-touch allocations and kernel selection come once.</param>
    /// <param name="peakGbs">Peak memory read bandwidth for the roofline (GB/s); null: no roofline.</param>
    /// <param name="peakMeasured">Whether <paramref name="peakGbs"/> was measured here rather than given.</param>
    public static Report Run(ReferenceEngine engine, string model, string dtype, int batch, int inputLen, int outputLen, BenchSampling sampling,
        TimeSpan warmup, double? peakGbs, bool peakMeasured)
    {
        var prompts = BenchPrompts.Make(batch, inputLen, engine.Config.VocabSize);
        var warmupPrompts = BenchPrompts.MakeWarmup(batch, inputLen, engine.Config.VocabSize);
        var warmupClock = Stopwatch.StartNew();
        do Generate(engine, warmupPrompts, sampling.AsParams(outputLen));
        while (warmupClock.Elapsed < warmup);
        var warmed = warmupClock.Elapsed.TotalSeconds;
        var (prefill, total) = Generate(engine, prompts, sampling.AsParams(outputLen));
        var decode = Math.Max(total - prefill, 1e-9);
        var decodeRate = batch * (outputLen - 1) / decode;
        var elementBytes = ComputePlacement.BytesOf(ComputePlacement.ParseDType(dtype));
        var context = inputLen + outputLen / 2.0;
        var roofline = peakGbs is { } gbs ? DecodeRoofline.TokensPerSecond(engine.Config, batch, context, elementBytes, gbs * 1e9) : (double?)null;
        var stepBytes = DecodeRoofline.StepBytes(engine.Config, batch, context, elementBytes);
        var tpot = decode / (outputLen - 1);
        return new Report(model, engine.Config.ModelType, dtype, Environment.ProcessorCount, TorchSharp.torch.get_num_threads(), batch, inputLen, outputLen,
            sampling, warmed, prefill, total, decodeRate, batch * outputLen / total, tpot, stepBytes, stepBytes / tpot / 1e9, peakGbs, peakMeasured, roofline,
            decodeRate / roofline);
    }

    /// <returns>Seconds to the end of the prefill step and to the end of the run.</returns>
    static (double Prefill, double Total) Generate(ReferenceEngine engine, int[][] prompts, SamplingParams sampling)
    {
        var clock = Stopwatch.StartNew();
        var prefill = 0.0;
        engine.Generate(prompts.Select(p => new GenerationRequest(p, sampling)).ToArray(), () => prefill = clock.Elapsed.TotalSeconds);
        return (prefill, clock.Elapsed.TotalSeconds);
    }
}
