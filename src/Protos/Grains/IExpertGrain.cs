using Orleans.Runtime;

namespace Rex.Protos.Grains;

/// <summary>
/// One replica of one MoE expert, hosted on an expert silo's device. Activation loads only its own weights;
/// deactivation frees them. Rows reach it over the gRPC data plane, not through grain calls: the grain is
/// the expert's lifecycle and its address in the cluster.
/// </summary>
public interface IExpertGrain : IGrainWithStringKey
{
    /// <summary>Activates the expert if needed and says where it lives and how much it has served.</summary>
    Task<ExpertGrainInfo> Describe();

    /// <summary>
    /// Moves the replica to another expert silo once idle (Orleans migration: the replica deactivates here and its
    /// weights load there): to <paramref name="target"/> when given and it can host experts, else where placement picks.
    /// </summary>
    Task Move(SiloAddress? target);
}

/// <summary>Where an expert replica lives: its silo, that silo's data-plane address, its device.</summary>
[GenerateSerializer, Immutable, Alias("rex.ExpertGrainInfo")]
public sealed record ExpertGrainInfo(
    [property: Id(0)] ExpertGrainKey Key,
    [property: Id(1)] string Silo,
    [property: Id(2)] string DataPlane,
    [property: Id(3)] string Device,
    [property: Id(4)] long Bytes,
    [property: Id(5)] long RowsServed);
