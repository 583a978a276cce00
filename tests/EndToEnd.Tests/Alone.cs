namespace Rex.EndToEnd.Tests;

/// <summary>
/// Tests that time a cluster's recovery: xunit runs this collection after the parallel ones, by itself, so other
/// tests' processes do not starve the membership probes they measure (on 2 cores, a loaded machine misses probes).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Alone
{
    public const string Name = "alone";
}
