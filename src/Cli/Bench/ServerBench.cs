using System.Diagnostics;
using Rex.Client;
using Rex.Protos.Api;

namespace Rex.Cli.Bench;

/// <summary>
/// Load on a Rex server: `concurrency` clients each send requests back to back until `requests` are done, every
/// request generating exactly `outputLen` tokens. Reports throughput, and where the gateway's steps spent their
/// time during the run (the change in its step profile).
/// </summary>
internal static class ServerBench
{
    public sealed record Phases(long Steps, double Attention, double Dispatch, double ExpertWait, double ExpertCompute, double Combine,
        double Sampling, double Total);

    public sealed record Report(string Server, int Concurrency, int Requests, int InputLen, int OutputLen, double Seconds,
        double OutputTokensPerSecond, double RequestsPerSecond, double MeanLatencySeconds, Phases StepSeconds)
    {
        public override string ToString()
        {
            var p = StepSeconds;
            string Share(double seconds) => $"{100 * seconds / Math.Max(p.Total, 1e-9):F0}%";
            return $"server {Server}, concurrency {Concurrency}, {Requests} requests, input {InputLen}, output {OutputLen}: " +
                $"{OutputTokensPerSecond:F1} output tokens/s, {RequestsPerSecond:F2} requests/s, mean latency {MeanLatencySeconds * 1000:F0} ms\n" +
                $"  {p.Steps} steps, {1000 * p.Total / Math.Max(p.Steps, 1):F2} ms each: attention {Share(p.Attention)}, dispatch {Share(p.Dispatch)}, " +
                $"waiting for experts {Share(p.ExpertWait)} (silo compute {Share(p.ExpertCompute)}), combine {Share(p.Combine)}, sampling {Share(p.Sampling)}";
        }
    }

    public static async Task<Report> Run(string server, int concurrency, int requests, int inputLen, int outputLen)
    {
        using var client = new RexClient(server);
        var prompts = BenchPrompts.Make(requests, inputLen);
        await Generate(client, prompts[0], 2); // warm-up
        var before = (await client.GetClusterStatusAsync()).Profile;
        var next = -1;
        var latencies = new double[requests];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var started = clock.Elapsed;
                await Generate(client, prompts[i], outputLen);
                latencies[i] = (clock.Elapsed - started).TotalSeconds;
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        var after = (await client.GetClusterStatusAsync()).Profile;
        var phases = new Phases(after.Steps - before.Steps, after.AttentionSeconds - before.AttentionSeconds,
            after.DispatchSeconds - before.DispatchSeconds, after.ExpertWaitSeconds - before.ExpertWaitSeconds,
            after.ExpertComputeSeconds - before.ExpertComputeSeconds, after.CombineSeconds - before.CombineSeconds,
            after.SamplingSeconds - before.SamplingSeconds, after.TotalSeconds - before.TotalSeconds);
        return new Report(server, concurrency, requests, inputLen, outputLen, seconds, (double)requests * outputLen / seconds,
            requests / seconds, latencies.Average(), phases);
    }

    static async Task Generate(RexClient client, int[] prompt, int outputLen)
    {
        var response = await client.GenerateAsync(new GenerateRequest
        {
            TokenIds = new TokenIds { Ids = { prompt } },
            Sampling = new SamplingParameters { MaxTokens = outputLen, IgnoreEos = true },
        });
        if (response.TokenIds.Count != outputLen)
            throw new InvalidOperationException($"the server generated {response.TokenIds.Count} tokens, not {outputLen}");
    }
}
