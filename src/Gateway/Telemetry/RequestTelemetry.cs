using System.Diagnostics;
using Rex.Model.Engine;
using Rex.Model.Sampling;
using Rex.Silo.Telemetry;

namespace Rex.Gateway.Telemetry;

/// <summary>
/// One request's span (named and described as the GenAI conventions ask: gen_ai.operation.name,
/// gen_ai.request.*, gen_ai.usage.*, gen_ai.response.finish_reasons), its queueing span, and its timings for the
/// TTFT, TPOT and duration histograms. The request span is the parent of the engine steps it leads.
/// </summary>
public sealed class RequestTelemetry
{
    readonly GatewayMetrics metrics;
    readonly string operation;
    readonly long arrival = Stopwatch.GetTimestamp();
    long firstToken;
    int reportedTokens;
    Activity? queue;

    public RequestTelemetry(GatewayMetrics metrics, string model, string operation, int promptTokens, SamplingParams sampling, ActivityContext parent)
    {
        this.metrics = metrics;
        this.operation = operation;
        // The API call's span, carried through the grain call as a traceparent, is the parent.
        Span = RexTracing.StartDetached(RexTracing.Gateway, $"{operation} {model}", ActivityKind.Internal, parent);
        if (Span is null) return;
        Span.SetTag("gen_ai.operation.name", operation);
        Span.SetTag("gen_ai.request.model", model);
        Span.SetTag("gen_ai.request.max_tokens", sampling.MaxTokens);
        Span.SetTag("gen_ai.request.temperature", sampling.Temperature);
        Span.SetTag("gen_ai.request.top_p", sampling.TopP);
        if (sampling.TopK > 0) Span.SetTag("gen_ai.request.top_k", sampling.TopK);
        if (sampling.Seed is { } seed) Span.SetTag("gen_ai.request.seed", seed);
        Span.SetTag("gen_ai.usage.input_tokens", promptTokens);
        queue = RexTracing.StartDetached(RexTracing.Gateway, "rex.queue", ActivityKind.Internal, Span.Context);
    }

    /// <summary>The request's span; null when tracing is off.</summary>
    public Activity? Span { get; }

    /// <summary>First admitted to the running batch (or ended before that).</summary>
    public void LeftQueue()
    {
        queue?.Dispose();
        queue = null;
    }

    /// <summary>After a step: counts the tokens it added and marks the first.</summary>
    public void Progress(Sequence sequence)
    {
        var generated = sequence.OutputIds.Count - reportedTokens;
        if (generated <= 0) return;
        if (reportedTokens == 0)
        {
            firstToken = Stopwatch.GetTimestamp();
            metrics.FirstToken(operation, Stopwatch.GetElapsedTime(arrival, firstToken));
        }
        reportedTokens += generated;
        metrics.Tokens("output", generated);
    }

    public void Finished(Sequence sequence, string? error)
    {
        LeftQueue();
        var now = Stopwatch.GetTimestamp();
        metrics.Finished(operation, Stopwatch.GetElapsedTime(arrival, now), firstToken == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(firstToken, now),
            sequence.OutputIds.Count, error);
        metrics.Tokens("input", sequence.PromptIds.Count);
        if (Span is null) return;
        Span.SetTag("gen_ai.usage.output_tokens", sequence.OutputIds.Count);
        if (sequence.FinishReason is { } reason) Span.SetTag("gen_ai.response.finish_reasons", new[] { reason.ToWireName() });
        if (error is not null)
        {
            Span.SetTag("error.type", error);
            Span.SetStatus(ActivityStatusCode.Error, error);
        }
        Span.Dispose();
    }
}
