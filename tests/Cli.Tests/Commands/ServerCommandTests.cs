using System.CommandLine;
using System.Text.Json;
using Rex.Client;
using Rex.Protos.Api;
using Rex.Tests;

namespace Rex.Cli.Tests.Commands;

/// <summary>`rex generate --server`, `rex chat` and `rex bench --server` against the built gateway (one for the class).</summary>
public sealed class ServerCommandTests(FixtureModelGateway gateway) : IClassFixture<FixtureModelGateway>
{
    /// <summary>Keeps what had been written at every flush: a streamed output flushes once per piece of text.</summary>
    sealed class FlushRecordingWriter : StringWriter
    {
        public List<string> Flushed { get; } = [];

        public override void Flush() => Flushed.Add(ToString());
    }

    [Fact]
    public void GenerateStreamsTheTextTheJsonResponseHolds()
    {
        string[] args = ["generate", "--server", gateway.Address, "--prompt", "The quick brown fox", "--max-tokens", "16", "--ignore-eos"];
        var json = CliRunner.InProcess([.. args, "--json"]);
        Assert.True(json.ExitCode == 0, json.Error);
        var text = JsonDocument.Parse(json.Output).RootElement.GetProperty("text").GetString();

        var output = new FlushRecordingWriter();
        var exit = RexCommand.Create().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = new StringWriter() });
        Assert.Equal(0, exit);
        Assert.Equal(text + Environment.NewLine, output.ToString());
        // Flushed with part of the text written: it reached the reader before the generation ended.
        Assert.Contains(output.Flushed, flushed => flushed.Length > 0 && flushed.Length < text!.Length);
    }

    [Fact]
    public async Task LogprobsAreTheServersInJsonAndOneLinePerTokenUnderTheText()
    {
        string[] args = ["generate", "--server", gateway.Address, "--prompt", "The quick brown fox", "--max-tokens", "4", "--ignore-eos", "--logprobs", "2"];
        var expected = await gateway.Client.GenerateAsync(new GenerateRequest
        {
            Text = "The quick brown fox", Sampling = new SamplingParameters { MaxTokens = 4, IgnoreEos = true, Logprobs = 2 },
        });
        Assert.Equal(4, expected.Logprobs.Count);

        var json = CliRunner.InProcess([.. args, "--json"]);
        Assert.True(json.ExitCode == 0, json.Error);
        var logprobs = JsonDocument.Parse(json.Output).RootElement.GetProperty("logprobs").EnumerateArray().ToArray();
        Assert.Equal(expected.Logprobs.Select(l => (l.TokenId, l.Token, l.Logprob)),
            logprobs.Select(l => (l.GetProperty("token_id").GetInt32(), l.GetProperty("token").GetString()!, l.GetProperty("logprob").GetSingle())));
        Assert.Equal(expected.Logprobs.Select(l => l.TopLogprobs.Select(t => t.TokenId)),
            logprobs.Select(l => l.GetProperty("top_logprobs").EnumerateArray().Select(t => t.GetProperty("token_id").GetInt32())));

        var text = CliRunner.InProcess(args);
        Assert.True(text.ExitCode == 0, text.Error);
        var lines = text.Output.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n')[^5..];
        Assert.StartsWith("logprobs: ", lines[0]);
        // Each token quoted, then its id and log-probability, then its two alternatives.
        foreach (var (line, logprob) in lines[1..].Zip(expected.Logprobs))
        {
            Assert.StartsWith("  \"", line);
            Assert.Contains($"\" [{logprob.TokenId}] {logprob.Logprob.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)} | \"", line);
            Assert.EndsWith($"\" [{logprob.TopLogprobs[1].TokenId}] {logprob.TopLogprobs[1].Logprob.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)}", line);
        }
    }

    [Fact]
    public async Task ChatAnswersEveryLineOfStdinWithinOneConversationUntilExit()
    {
        var outcome = await CliRunner.ChildProcessWithInput("Hello, Rex\n\nTell me more\n/exit\nNever sent\n",
            "chat", "--server", gateway.Address, "--system", "You are terse.", "--max-tokens", "8");
        Assert.True(outcome.ExitCode == 0, outcome.Error);

        var sampling = new SamplingParameters { MaxTokens = 8 };
        var conversation = new List<ChatMessage>
        {
            new() { Role = "system", Content = "You are terse." },
            new() { Role = "user", Content = "Hello, Rex" },
        };
        var first = (await gateway.Client.ChatAsync(conversation, sampling)).Text;
        conversation.Add(new ChatMessage { Role = "assistant", Content = first });
        conversation.Add(new ChatMessage { Role = "user", Content = "Tell me more" });
        var second = (await gateway.Client.ChatAsync(conversation, sampling)).Text;
        // The child's output arrives line by line; any line break the model generated reads back as "\n".
        Assert.Equal($"{first}\n{second}\n".ReplaceLineEndings("\n"), outcome.Output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void BenchJsonIsOneObjectWithThroughputAndLatencyPercentiles()
    {
        var outcome = CliRunner.InProcess("bench", "--server", gateway.Address, "--concurrency", "2", "--requests", "4",
            "--input-len", "4", "--output-len", "4", "--warmup-seconds", "0", "--json");
        Assert.True(outcome.ExitCode == 0, outcome.Error);
        Assert.Single(outcome.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var report = JsonDocument.Parse(outcome.Output).RootElement;
        Assert.Equal((2, 4), (report.GetProperty("concurrency").GetInt32(), report.GetProperty("requests").GetInt32()));
        Assert.True(report.GetProperty("output_tokens_per_second").GetDouble() > 0);
        Assert.True(report.GetProperty("requests_per_second").GetDouble() > 0);
        foreach (var figure in new[] { "ttft_seconds", "tpot_seconds", "latency_seconds" })
        {
            var p = report.GetProperty(figure);
            var (p50, p90, p99) = (p.GetProperty("p50").GetDouble(), p.GetProperty("p90").GetDouble(), p.GetProperty("p99").GetDouble());
            Assert.True(0 < p50 && p50 <= p90 && p90 <= p99, $"{figure}: {p}");
        }
        Assert.True(report.GetProperty("latency_seconds").GetProperty("p50").GetDouble() > report.GetProperty("ttft_seconds").GetProperty("p50").GetDouble());
        var steps = report.GetProperty("step_seconds");
        Assert.True(steps.GetProperty("steps").GetInt64() > 0);
        // Every phase is timed on the engine thread inside the step: none is negative and none outgrows the total.
        foreach (var phase in new[] { "attention", "router", "serialize", "dispatch", "expert_wait", "combine", "sampling", "host_overhead" })
            Assert.InRange(steps.GetProperty(phase).GetDouble(), 0, steps.GetProperty("total").GetDouble());
        Assert.True(steps.GetProperty("router").GetDouble() > 0 && steps.GetProperty("serialize").GetDouble() > 0, steps.ToString());
        Assert.InRange(steps.GetProperty("network").GetDouble(), 0, steps.GetProperty("expert_wait").GetDouble());
        // The bytes the steps must read came from the gateway's profile; over the steps' time, the bandwidth reached.
        Assert.True(steps.GetProperty("step_bytes").GetDouble() > 0);
        Assert.Equal(steps.GetProperty("step_bytes").GetDouble() / steps.GetProperty("total").GetDouble() / 1e9,
            steps.GetProperty("achieved_bandwidth_gbs").GetDouble(), 6);
        Assert.Equal(JsonValueKind.Null, report.GetProperty("roofline_fraction").ValueKind);
        // The progress bar, into stderr that is no terminal: a line for each tenth of the requests (each of 4 is one), no '\r'.
        Assert.DoesNotContain('\r', outcome.Error.ReplaceLineEndings("\n"));
        var progress = outcome.Error.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, progress.Length);
        Assert.StartsWith($"[{new string('#', 30)}] 4/4 requests, ", progress[^1]);
    }

    [Fact]
    public async Task ClusterStatusShowsTheSchedulerTheKvCacheAndEverySilosExperts()
    {
        // A request first, so the prefix cache has been asked.
        await gateway.Client.GenerateAsync(new GenerateRequest { Text = "The quick brown fox", Sampling = new SamplingParameters { MaxTokens = 2 } });
        var expected = (await gateway.Client.GetClusterStatusAsync()).Scheduler;

        var json = CliRunner.InProcess("cluster", "status", "--server", gateway.Address, "--json");
        Assert.True(json.ExitCode == 0, json.Error);
        var report = JsonDocument.Parse(json.Output).RootElement;
        Assert.Equal(VersionTests.Declared, report.GetProperty("version").GetString());
        var scheduler = report.GetProperty("scheduler");
        Assert.Equal((0, 0), (scheduler.GetProperty("num_running").GetInt32(), scheduler.GetProperty("num_waiting").GetInt32()));
        Assert.Equal(expected.Preemptions, scheduler.GetProperty("num_preempted").GetInt64());
        Assert.Equal(expected.NumKvBlocks, scheduler.GetProperty("num_kv_blocks").GetInt32());
        Assert.True(expected.NumKvBlocks > 0);
        Assert.Equal(expected.NumKvBlocks, scheduler.GetProperty("num_used_kv_blocks").GetInt32() + scheduler.GetProperty("num_free_kv_blocks").GetInt32());
        Assert.True(expected.PrefixCacheQueriedTokens > 0);
        Assert.Equal((double)expected.PrefixCacheHitTokens / expected.PrefixCacheQueriedTokens, scheduler.GetProperty("prefix_cache_hit_rate").GetDouble());
        var silos = report.GetProperty("silos").EnumerateArray().ToArray();
        Assert.NotEmpty(silos);
        Assert.All(silos, s => Assert.Equal(s.GetProperty("experts").GetArrayLength(), s.GetProperty("num_experts").GetInt32()));
        Assert.Equal(report.GetProperty("active_experts").GetInt32(), silos.Sum(s => s.GetProperty("num_experts").GetInt32()));

        var text = CliRunner.InProcess("cluster", "status", "--server", gateway.Address);
        Assert.True(text.ExitCode == 0, text.Error);
        Assert.StartsWith($"Rex {VersionTests.Declared}, model ", text.Output);
        Assert.Contains($"scheduler: 0 running, 0 waiting, {expected.Preemptions} preempted, {expected.RejectedRequests} rejected since start", text.Output);
        Assert.Contains($"KV cache: {expected.NumUsedKvBlocks} blocks used, {expected.NumKvBlocks - expected.NumUsedKvBlocks} free of {expected.NumKvBlocks} ", text.Output);
        Assert.Contains($"prefix cache: {expected.PrefixCacheHitTokens} of {expected.PrefixCacheQueriedTokens} prompt tokens hit (", text.Output);
        Assert.Contains($"  {silos[0].GetProperty("num_experts").GetInt32()} experts", text.Output);
    }

    [Fact]
    public void ChatNeedsAServer()
    {
        var outcome = CliRunner.InProcess("chat");
        Assert.NotEqual(0, outcome.ExitCode);
        Assert.Contains("--server", outcome.Error + outcome.Output);
    }
}
