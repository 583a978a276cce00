using System.Collections.Concurrent;
using System.Diagnostics;
using Rex.Gateway.Tests.Cluster;
using Rex.Protos.Grains;
using Rex.Silo.Telemetry;

namespace Rex.Gateway.Tests.Telemetry;

/// <summary>One request through a gateway silo and two expert silos makes one trace: request, step, dispatch and expert spans.</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task OneTraceHoldsTheRequestSpanAndExpertSpansFromTwoSilos()
    {
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is RexTracing.GatewaySourceName or RexTracing.SiloSourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
        await using var cluster = await ExpertTestCluster.Start(expertSilos: 2);

        var input = new GenerationInput([791, 4062, 14198], 0, 1, 0, null, 4, [], null, IgnoreEos: true, 0, 0, null, "chat", "");
        var outcome = await cluster.Gateway.Generate(input, CancellationToken.None);

        // Other tests' clusters may trace at the same time: everything below is within this request's trace.
        var request = Assert.Single(spans, s => s.OperationName == $"chat {ExpertTestCluster.Model}" && Equals(s.GetTagItem("gen_ai.usage.input_tokens"), 3));
        var trace = spans.Where(s => s.TraceId == request.TraceId).ToArray();
        Assert.Equal("chat", request.GetTagItem("gen_ai.operation.name"));
        Assert.Equal(ExpertTestCluster.Model, request.GetTagItem("gen_ai.request.model"));
        Assert.Equal(4, request.GetTagItem("gen_ai.request.max_tokens"));
        Assert.Equal(0.0, request.GetTagItem("gen_ai.request.temperature"));
        Assert.Equal(outcome.TokenIds.Length, request.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(["length"], (string[])request.GetTagItem("gen_ai.response.finish_reasons")!);
        Assert.Contains(trace, s => s.OperationName == "rex.queue" && s.ParentSpanId == request.SpanId);

        var experts = trace.Where(s => s.OperationName.StartsWith("rex.experts layer ", StringComparison.Ordinal)).ToArray();
        Assert.All(experts, e => Assert.True(IsDescendant(e, request, trace), $"{e.OperationName} is not under the request span"));
        Assert.All(experts, e => Assert.StartsWith("rex.dispatch layer ", ById(trace, e.ParentSpanId)!.OperationName));
        Assert.True(experts.Select(e => (string)e.GetTagItem("rex.silo")!).Distinct().Count() >= 2, "expert spans came from fewer than two silos");
        Assert.All(experts, e => Assert.True((int)e.GetTagItem("rex.rows")! > 0));
    }

    static Activity? ById(IEnumerable<Activity> spans, ActivitySpanId id) => spans.FirstOrDefault(s => s.SpanId == id);

    static bool IsDescendant(Activity span, Activity ancestor, IReadOnlyCollection<Activity> trace)
    {
        for (var parent = ById(trace, span.ParentSpanId); parent is not null; parent = ById(trace, parent.ParentSpanId))
            if (parent.SpanId == ancestor.SpanId) return true;
        return false;
    }
}
