using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Rex.Silo.Hosting;

/// <summary>
/// What a silo advertises in its Orleans silo metadata: its roles (gateway, expert), its devices, and the bytes
/// it offers for expert weights. Placement reads these; nothing is configured per grain.
/// </summary>
public static class SiloRoles
{
    public const string Gateway = "gateway";
    public const string Expert = "expert";

    public const string RolesKey = "rex.roles";
    public const string DevicesKey = "rex.devices";
    public const string ExpertMemoryKey = "rex.expert-memory-bytes";

    /// <summary>The roles a `Roles` setting names ("gateway,expert").</summary>
    public static string[] Parse(string roles) => roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static IReadOnlyList<string> Roles(SiloMetadata metadata) => List(metadata, RolesKey);

    public static IReadOnlyList<string> Devices(SiloMetadata metadata) => List(metadata, DevicesKey);

    public static bool Has(SiloMetadata metadata, string role) => Roles(metadata).Contains(role);

    /// <summary>The active silos of the cluster (as this silo's membership sees them) that advertise `role`.</summary>
    public static IEnumerable<SiloAddress> ActiveWith(IClusterMembershipService membership, ISiloMetadataCache metadata, string role) =>
        membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active && Has(metadata.GetSiloMetadata(m.SiloAddress), role))
            .Select(m => m.SiloAddress);

    public static long ExpertMemoryBytes(SiloMetadata metadata) =>
        metadata.Metadata.TryGetValue(ExpertMemoryKey, out var value) && long.TryParse(value, out var bytes) ? bytes : 0;

    static IReadOnlyList<string> List(SiloMetadata metadata, string key) =>
        metadata.Metadata.TryGetValue(key, out var value)
            ? value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [];
}
