namespace Rex.Gateway.Dispatch;

/// <summary>How many replicas each (layer, expert) has: a default and "layer:expert=count" overrides ('*' matches any).</summary>
public sealed class ReplicaCounts
{
    readonly int defaultCount;
    readonly (int? Layer, int? Expert, int Count)[] overrides;

    public ReplicaCounts(int defaultCount, string overrides)
    {
        if (defaultCount < 1) throw new ArgumentException($"ExpertReplicas must be at least 1, got {defaultCount}", "ExpertReplicas");
        this.defaultCount = defaultCount;
        this.overrides = overrides.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).ToArray();
    }

    /// <summary>The last matching override wins.</summary>
    public int For(int layer, int expert)
    {
        var count = defaultCount;
        foreach (var o in overrides)
            if ((o.Layer ?? layer) == layer && (o.Expert ?? expert) == expert) count = o.Count;
        return count;
    }

    static (int?, int?, int) Parse(string entry)
    {
        var parts = entry.Split('=');
        var target = parts[0].Split(':');
        if (parts.Length != 2 || target.Length != 2 || !int.TryParse(parts[1], out var count) || count < 1)
            throw new ArgumentException($"ExpertReplicaOverrides entry '{entry}' is not layer:expert=count (count >= 1)", "ExpertReplicaOverrides");
        return (Index(target[0], entry), Index(target[1], entry), count);
    }

    static int? Index(string text, string entry) =>
        text == "*" ? null
        : int.TryParse(text, out var i) && i >= 0 ? i
        : throw new ArgumentException($"ExpertReplicaOverrides entry '{entry}': '{text}' is not an index or '*'", "ExpertReplicaOverrides");
}
