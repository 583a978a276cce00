using Orleans.Placement;
using Orleans.Runtime;

namespace Rex.Silo.Placement;

/// <summary>Places expert grains on silos with the expert role, spread by memory and count (see <see cref="ExpertPlacementDirector"/>).</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class ExpertPlacementStrategy : PlacementStrategy;

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ExpertPlacementAttribute() : PlacementAttribute(new ExpertPlacementStrategy());
