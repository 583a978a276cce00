using System.Diagnostics;
using Rex.Client;
using Rex.EndToEnd.Tests.Otlp;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// Traces from a real 3-process cluster configured only by the standard OTEL_* variables, exported over OTLP to a
/// receiver in this test: one request's trace crosses the gateway and both expert silos.
/// </summary>
public sealed class TracingTests
{
    [Fact]
    public async Task OneRequestIsOneTraceFromTheGatewayApiToExpertSpansOnBothSilos()
    {
        await using var receiver = await OtlpReceiver.Start();
        using var state = new TemporaryDirectory();
        using var home = new TemporaryDirectory();
        var environment = new Dictionary<string, string>
        {
            ["REX_HOME"] = home.Path,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200", // export within a fraction of a second, not the default 5 s
        };
        var up = await ChildProcess.Run("rex.dll",
            ["cluster", "up", "--silos", "2", "--model", TestPaths.DbrxTiny, "--port", "0", "--http-port", "0", "--state", state.Path], environment);
        try
        {
            Assert.True(up.ExitCode == 0, up.Error);
            using (var client = new RexClient(up.Output.Trim().Split('\n')[^1]))
                await GatewayClient.Greedy(client, FixtureGreedy.All[0].Prompt, maxTokens: 4);

            var clock = Stopwatch.StartNew();
            ReceivedSpan? request = null;
            ReceivedSpan[] experts = [];
            while (clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                request = receiver.Spans.FirstOrDefault(s => s.Attributes.ContainsKey("gen_ai.operation.name"));
                if (request is not null)
                {
                    var trace = receiver.Spans.Where(s => s.TraceId == request.TraceId).ToArray();
                    experts = [.. trace.Where(s => s.Name.StartsWith("rex.experts layer ", StringComparison.Ordinal) && IsDescendant(s, request, trace))];
                    // The API call's span ends after the request's, so it may come in a later export batch.
                    if (experts.Select(e => e.Attributes["rex.silo"].StringValue).Distinct().Count() >= 2 && trace.Any(s => s.SpanId == request.ParentSpanId)) break;
                }
                await Task.Delay(200);
            }
            Assert.NotNull(request);
            Assert.Equal(("rex-gateway", "text_completion dbrx-tiny"), (request.Service, request.Name));
            Assert.Equal("text_completion", request.Attributes["gen_ai.operation.name"].StringValue);
            Assert.Equal(4, request.Attributes["gen_ai.request.max_tokens"].IntValue);
            Assert.Equal(4, request.Attributes["gen_ai.usage.output_tokens"].IntValue);
            Assert.Equal("length", Assert.Single(request.Attributes["gen_ai.response.finish_reasons"].ArrayValue.Values).StringValue);
            Assert.All(experts, e => Assert.Equal("rex-silo", e.Service));
            Assert.True(experts.Select(e => e.Attributes["rex.silo"].StringValue).Distinct().Count() >= 2,
                $"expert spans under the request came from fewer than two silos: {experts.Length} of {receiver.Spans.Count} spans received");
            // The request span hangs under the API call's own span (ASP.NET Core's, through the grain call), not at a root.
            Assert.Contains(receiver.Spans, s => s.TraceId == request.TraceId && s.SpanId == request.ParentSpanId && s.Service == "rex-gateway");
        }
        finally
        {
            await ChildProcess.Run("rex.dll", ["cluster", "down", "--state", state.Path], environment);
        }
    }

    static bool IsDescendant(ReceivedSpan span, ReceivedSpan ancestor, IReadOnlyCollection<ReceivedSpan> trace)
    {
        for (var parent = trace.FirstOrDefault(s => s.SpanId == span.ParentSpanId); parent is not null;
             parent = trace.FirstOrDefault(s => s.SpanId == parent.ParentSpanId))
            if (parent.SpanId == ancestor.SpanId) return true;
        return false;
    }
}
