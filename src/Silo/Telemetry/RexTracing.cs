using System.Diagnostics;

namespace Rex.Silo.Telemetry;

/// <summary>
/// Rex's spans. With no listener (no OTLP endpoint configured) every Start returns null and callers skip all
/// attribute work, so tracing off costs a null check. Spans that outlive the code that starts them (a request, a
/// layer's dispatch) are started detached: the caller's current activity is left as it was.
/// </summary>
public static class RexTracing
{
    public const string GatewaySourceName = "Rex.Gateway";
    public const string SiloSourceName = "Rex.Silo";

    public static ActivitySource Gateway { get; } = new(GatewaySourceName);

    public static ActivitySource Silo { get; } = new(SiloSourceName);

    /// <summary>Starts a span under `parent` without making it the current activity.</summary>
    public static Activity? StartDetached(ActivitySource source, string name, ActivityKind kind, ActivityContext parent,
        IEnumerable<ActivityLink>? links = null)
    {
        if (!source.HasListeners()) return null;
        var previous = Activity.Current;
        var activity = source.StartActivity(name, kind, parent, links: links);
        Activity.Current = previous;
        return activity;
    }

    /// <summary>The W3C traceparent of a span, for the data plane's messages; empty without one.</summary>
    public static string TraceParent(Activity? activity) => activity?.Id ?? "";

    public static ActivityContext ParseTraceParent(string traceParent) =>
        traceParent.Length > 0 && ActivityContext.TryParse(traceParent, null, out var context) ? context : default;
}
