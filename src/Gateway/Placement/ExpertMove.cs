using Rex.Protos.Grains;

namespace Rex.Gateway.Placement;

/// <summary>A replica to move from the silo it lives on to another: a step of rebalancing or of repair.</summary>
public sealed record ExpertMove(ExpertGrainKey Key, string From, string To);
