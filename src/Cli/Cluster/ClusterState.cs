using System.Text.Json;

namespace Rex.Cli.Cluster;

/// <summary>
/// One process of a local cluster: its role (gateway, gateway-N for more gateways, silo-N for an expert silo, or
/// membership for the membership store), pid and log file.
/// </summary>
public sealed record ClusterProcess(string Role, int Pid, string Log)
{
    public const string GatewayRole = "gateway";

    public const string MembershipRole = "membership";

    public bool IsGateway => Role == GatewayRole || Role.StartsWith(GatewayRole + "-", StringComparison.Ordinal);

    public bool IsMembershipStore => Role == MembershipRole;

    public bool IsExpertSilo => !IsGateway && !IsMembershipStore;

    /// <summary>The role of gateway number <paramref name="index"/>: the first is plain "gateway".</summary>
    public static string Gateway(int index) => index == 0 ? GatewayRole : $"{GatewayRole}-{index}";
}

/// <summary>
/// What `rex cluster up` started (the gateways' addresses once known, the first one first), saved after each start so
/// `rex cluster down` can stop it.
/// </summary>
public sealed record ClusterState(IReadOnlyList<string> Gateways, IReadOnlyList<ClusterProcess> Processes)
{
    public const string FileName = "cluster.json";

    /// <summary>Where the cluster's throwaway TLS credentials live, beside its state (ClusterTlsDirectory of every process).</summary>
    public static string TlsDirectory(string directory) => Path.Combine(directory, "tls");

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string DefaultDirectory => Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(Rex.Model.TinyModel.BuiltInModel.DefaultPath)!)!, "cluster");

    /// <summary>The cluster started from `directory`; one must have been.</summary>
    public static ClusterState Require(string directory) =>
        Read(directory) ?? throw new InvalidOperationException($"no cluster was started from {directory}");

    public static ClusterState? Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        return File.Exists(path) ? JsonSerializer.Deserialize<ClusterState>(File.ReadAllText(path), Json) : null;
    }

    public void Write(string directory) => File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, Json));

    /// <summary>Forgets the cluster, its credentials with it: the next `up` makes new ones.</summary>
    public static void Delete(string directory)
    {
        File.Delete(Path.Combine(directory, FileName));
        if (Directory.Exists(TlsDirectory(directory))) Directory.Delete(TlsDirectory(directory), recursive: true);
    }

    /// <summary>The order to stop processes in: the membership store last, so every silo can still record its departure.</summary>
    public static IEnumerable<ClusterProcess> StopOrder(IEnumerable<ClusterProcess> processes) => processes.OrderBy(p => p.IsMembershipStore);
}
