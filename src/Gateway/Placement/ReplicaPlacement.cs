using Rex.Protos.Grains;

namespace Rex.Gateway.Placement;

/// <summary>One expert replica and the silo it lives on.</summary>
public sealed record ReplicaPlacement(ExpertGrainKey Key, string Silo)
{
    public static ReplicaPlacement Of(ExpertGrainInfo info) => new(info.Key, info.Silo);
}
