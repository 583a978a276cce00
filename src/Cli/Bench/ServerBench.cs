using System.Diagnostics;
using Rex.Client;
using Rex.Protos.Api;

namespace Rex.Cli.Bench;

/// <summary>
/// Load on a Rex server: `concurrency` clients each stream requests back to back (`GenerateStream`) until `requests`
/// are done, every request generating exactly `outputLen` tokens. Reports throughput; time to first token (TTFT),
/// time per output token after the first (TPOT) and end-to-end latency per request, as vLLM's benchmark_serving
/// defines them; and where the gateway's steps spent their time during the run (the change in its step profile).
/// </summary>
internal static class ServerBench
{
    public sealed record Report(string Server, int Concurrency, int Requests, int InputLen, int OutputLen, BenchSampling Sampling, double WarmupSeconds,
        double Seconds,
        double OutputTokensPerSecond, double RequestsPerSecond, Percentiles TtftSeconds, Percentiles TpotSeconds, Percentiles LatencySeconds,
        StepPhases StepSeconds, double? PeakBandwidthGbs)
    {
        /// <summary>The steps' bandwidth over the peak, when one was given.</summary>
        public double? RooflineFraction => PeakBandwidthGbs is { } peak ? StepSeconds.AchievedBandwidthGbs / peak : null;

        public override string ToString() =>
            $"server {Server}, concurrency {Concurrency}, {Requests} requests, input {InputLen}, output {OutputLen}, {Sampling}, after {WarmupSeconds:F1} s warm-up: " +
            $"{OutputTokensPerSecond:F1} output tokens/s, {RequestsPerSecond:F2} requests/s\n" +
            $"  TTFT     {TtftSeconds.ToMilliseconds()}\n" +
            $"  TPOT     {TpotSeconds.ToMilliseconds()}\n" +
            $"  latency  {LatencySeconds.ToMilliseconds()}\n" +
            $"  {StepSeconds}\n" +
            $"  memory   {StepSeconds.StepBytes / Math.Max(StepSeconds.Steps, 1) / 1e6:F1} MB per step, {StepSeconds.AchievedBandwidthGbs:F1} GB/s achieved" +
            (RooflineFraction is { } fraction ? $", {100 * fraction:F1}% of the {PeakBandwidthGbs:F1} GB/s peak" : "");
    }

    /// <summary>When one request's first token and its last arrived, in seconds after it was sent.</summary>
    readonly record struct Timing(double FirstToken, double Latency);

    /// <param name="warmup">How long the clients generate untimed first (each at least one full request): .NET compiles
    /// hot code at full optimization only after it has run a while, in the gateway and in every silo.</param>
    /// <param name="progress">Where the progress bar is drawn (stderr).</param>
    /// <param name="peakGbs">The devices' peak read bandwidth for the steps' fraction of it; null: none.</param>
    public static async Task<Report> Run(RexClientOptions server, int concurrency, int requests, int inputLen, int outputLen, BenchSampling sampling,
        TimeSpan warmup, double? peakGbs, TextWriter progress)
    {
        using var client = new RexClient(server);
        var vocabSize = (await client.ListModelsAsync()).Models[0].VocabSize;
        var prompts = BenchPrompts.Make(requests, inputLen, vocabSize);
        var warmupPrompts = BenchPrompts.MakeWarmup(concurrency, inputLen, vocabSize);
        var warmupClock = Stopwatch.StartNew();
        await Task.WhenAll(warmupPrompts.Select(async prompt =>
        {
            do await Generate(client, prompt, sampling.AsRequest(outputLen), bar: null);
            while (warmupClock.Elapsed < warmup);
        }));
        var warmed = warmupClock.Elapsed.TotalSeconds;
        var before = (await client.GetClusterStatusAsync()).Profile;
        var next = -1;
        var timings = new Timing[requests];
        var bar = ProgressBar.For(progress, requests);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                timings[i] = await Generate(client, prompts[i], sampling.AsRequest(outputLen), bar);
                bar.Add(requests: 1);
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        bar.Finish();
        var after = (await client.GetClusterStatusAsync()).Profile;
        return new Report(server.Address, concurrency, requests, inputLen, outputLen, sampling, warmed, seconds, (double)requests * outputLen / seconds,
            requests / seconds, Percentiles.Of(timings.Select(t => t.FirstToken)),
            Percentiles.Of(timings.Select(t => (t.Latency - t.FirstToken) / (outputLen - 1))), Percentiles.Of(timings.Select(t => t.Latency)),
            StepPhases.Between(before, after), peakGbs);
    }

    static async Task<Timing> Generate(RexClient client, int[] prompt, SamplingParameters sampling, ProgressBar? bar)
    {
        var request = new GenerateRequest { TokenIds = new TokenIds { Ids = { prompt } }, Sampling = sampling };
        var outputLen = sampling.MaxTokens;
        var clock = Stopwatch.StartNew();
        double? firstToken = null;
        var tokens = 0;
        await foreach (var delta in client.GenerateStreamAsync(request))
        {
            if (delta.TokenIds.Count == 0) continue;
            firstToken ??= clock.Elapsed.TotalSeconds;
            tokens += delta.TokenIds.Count;
            bar?.Add(tokens: delta.TokenIds.Count);
        }
        if (tokens != outputLen) throw new InvalidOperationException($"the server generated {tokens} tokens, not {outputLen}");
        return new Timing(firstToken!.Value, clock.Elapsed.TotalSeconds);
    }
}
