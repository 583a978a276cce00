namespace Rex.Silo.Hosting;

/// <summary>
/// Settings every Rex process reads from the `Rex` configuration section (appsettings.json, `REX_` environment
/// variables such as `REX_Rex__Devices`, or `--Rex:Devices=...` on the command line). Defaults are documented
/// in the README table.
/// </summary>
public sealed class RexOptions
{
    public const string Section = "Rex";

    /// <summary>Model directory; empty serves the built-in tiny model.</summary>
    public string Model { get; set; } = "";

    /// <summary>The model's name on the wire; empty uses the directory's name.</summary>
    public string ModelName { get; set; } = "";

    /// <summary>Compute dtype of gateway and experts: float32, bfloat16 or float16.</summary>
    public string DType { get; set; } = "float32";

    /// <summary>auto (the directory's safetensors) or dummy (random weights drawn on load; only config.json is read): set the same on every process.</summary>
    public string LoadFormat { get; set; } = "auto";

    /// <summary>A JSON object merged into the model's config.json, as vLLM's --hf-overrides (`{"num_hidden_layers": 4}`): set the same on every process.</summary>
    public string HfOverrides { get; set; } = "";

    /// <summary>This silo's roles: gateway, expert, or both (the one-process default).</summary>
    public string Roles { get; set; } = "gateway,expert";

    /// <summary>Devices for expert weights: cpu, cpu:0,cpu:1 (logical CPU devices), cuda:0,cuda:1.</summary>
    public string Devices { get; set; } = "cpu";

    /// <summary>Bytes this silo offers for expert weights; 0 means the memory available to the process.</summary>
    public long ExpertMemoryBytes { get; set; }

    /// <summary>Intra-op threads per tensor operation; 0 divides the cores among this process's compute threads (gateway engine, CPU device executors). Lower it when processes share cores.</summary>
    public int TorchThreads { get; set; }

    /// <summary>
    /// The process's Prometheus `/metrics` port (HTTP/1.1, no API key: keep it private), the only one that serves it;
    /// 0: none, and a gateway process then serves /metrics on its HTTP port, behind its ApiKey.
    /// </summary>
    public int MetricsPort { get; set; }

    /// <summary>Address the metrics port listens on.</summary>
    public string MetricsHost { get; set; } = "0.0.0.0";

    /// <summary>How long a membership probe waits for its answer; with <see cref="NumMissedProbesLimit"/> it bounds how fast a dead silo is declared dead.</summary>
    public double ProbeTimeoutSeconds { get; set; } = 2;

    /// <summary>Missed probes after which a silo is suspected (Orleans' default is 3 probes of 5 s).</summary>
    public int NumMissedProbesLimit { get; set; } = 2;

    /// <summary>
    /// How long an expert silo told to stop (SIGTERM) spends moving its experts to other expert silos before it exits
    /// anyway; the host's shutdown timeout is this plus a margin, and a pod's termination grace period must cover both.
    /// </summary>
    public double DrainTimeoutSeconds { get; set; } = 120;

    /// <summary>
    /// Expert replicas loading their weights at once when the cluster moves them on its own: a draining silo's, or the
    /// gateway's repair of experts whose replicas share a silo. Each load competes with serving on its new silo.
    /// </summary>
    public int MaxConcurrentReplicaLoads { get; set; } = 4;

    /// <summary>
    /// Directory of this process's cluster credentials in PEM, laid out as a kubernetes.io/tls Secret with its CA:
    /// tls.crt, tls.key and ca.crt. Set: every Orleans connection and the data plane use mutual TLS, each end proving a
    /// certificate ca.crt issued. Empty: plaintext, and any process that knows the ClusterId may join.
    /// </summary>
    public string ClusterTlsDirectory { get; set; } = "";

    /// <summary>Shared secret gateways present to expert silos on the data plane; set the same on every process. Empty: none.</summary>
    public string DataPlaneSecret { get; set; } = "";

    /// <summary>Host the expert data plane listens on and advertises.</summary>
    public string DataPlaneHost { get; set; } = "127.0.0.1";

    /// <summary>Port of the expert data plane; 0 picks a free one.</summary>
    public int DataPlanePort { get; set; }

    /// <summary>Membership: localhost (one machine) or redis.</summary>
    public string Clustering { get; set; } = "localhost";

    public string ClusterId { get; set; } = "rex";

    public string ServiceId { get; set; } = "rex";

    /// <summary>Orleans silo-to-silo port; 0 picks a free one.</summary>
    public int SiloPort { get; set; }

    /// <summary>Orleans client gateway port; 0 picks a free one.</summary>
    public int OrleansGatewayPort { get; set; }

    /// <summary>Localhost clustering: the primary silo's host:port; empty makes this silo the primary.</summary>
    public string PrimarySiloEndpoint { get; set; } = "";

    /// <summary>Redis clustering: the StackExchange.Redis connection string.</summary>
    public string RedisConnectionString { get; set; } = "localhost:6379";

    /// <summary>Address other silos reach this one on, and the only one its Orleans ports listen on (Redis clustering).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>The fixed ports this process listens on (a 0 picks a free one), with the setting that names each.</summary>
    public (string Setting, string Host, int Port)[] ListeningPorts() =>
    [
        ($"{Section}:{nameof(SiloPort)}", AdvertisedAddress, SiloPort),
        ($"{Section}:{nameof(OrleansGatewayPort)}", AdvertisedAddress, OrleansGatewayPort),
        ($"{Section}:{nameof(DataPlanePort)}", DataPlaneHost, SiloRoles.Parse(Roles).Contains(SiloRoles.Expert) ? DataPlanePort : 0),
        ($"{Section}:{nameof(MetricsPort)}", MetricsHost, MetricsPort),
    ];
}
