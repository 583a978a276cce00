using Rex.Gateway.Dispatch;
using Rex.Silo.Devices;

namespace Rex.Gateway.Hosting;

/// <summary>Gateway settings, read from the `Rex` configuration section beside RexOptions; names follow vLLM where it has one.</summary>
public sealed class GatewayOptions
{
    /// <summary>Address the public gRPC API listens on.</summary>
    public string ApiHost { get; set; } = "127.0.0.1";

    /// <summary>Port of the public gRPC API; 0 picks a free one (printed at start).</summary>
    public int Port { get; set; } = 50051;

    /// <summary>Port of the OpenAI-compatible HTTP API (HTTP/1.1 and HTTP/2 without TLS need separate ports); 0 picks a free one.</summary>
    public int HttpPort { get; set; } = 8000;

    /// <summary>PEM certificate (chain) for TLS on both public ports; with <see cref="TlsKeyPath"/>. Empty: plaintext.</summary>
    public string TlsCertificatePath { get; set; } = "";

    /// <summary>PEM private key of <see cref="TlsCertificatePath"/>.</summary>
    public string TlsKeyPath { get; set; } = "";

    /// <summary>When set, every API call must send `authorization: Bearer ApiKey` (health checks excepted).</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>
    /// Origins whose web pages may call the HTTP API from a browser (CORS), comma-separated ("https://app.example.com"),
    /// or "*" for any. Empty (the default): CORS is off and no page of another origin may read an answer.
    /// </summary>
    public string CorsAllowedOrigins { get; set; } = "";

    /// <summary><see cref="CorsAllowedOrigins"/> as a list; empty when CORS is off.</summary>
    public string[] CorsOrigins => CorsAllowedOrigins.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The gateway's device for embedding, attention, routers, LM head and sampling.</summary>
    public string GatewayDevice { get; set; } = "cpu";

    /// <summary>Replicas of every (layer, expert), on different silos where there are enough.</summary>
    public int ExpertReplicas { get; set; } = 1;

    /// <summary>Per-expert replica counts: "layer:expert=count" entries, comma-separated, '*' for any ("0:3=2,*:7=3").</summary>
    public string ExpertReplicaOverrides { get; set; } = "";

    /// <summary>Rows one expert replica takes per message, as a multiple of the even share (slots / experts); 0 = no limit.</summary>
    public double ExpertCapacityFactor { get; set; }

    /// <summary>Rows in one message to one silo; 0 = no limit.</summary>
    public int MaxRowsPerSiloMessage { get; set; } = 4096;

    /// <summary>What happens to rows over a limit: defer (another replica, else a later message; nothing lost) or drop (Switch-style, counted).</summary>
    public CapacityPolicy CapacityPolicy { get; set; } = CapacityPolicy.Defer;

    /// <summary>
    /// A step's sequences split into this many micro-batches, so one's attention overlaps another's experts. Off (1) by
    /// default, as SGLang's two-batch overlap is: on CPU processes sharing cores every extra round trip cost more than
    /// the overlap gave (gateway + 3 expert silos on 2 cores, tokens/s with 2 against 1: concurrency 8 1046-1120 vs
    /// 1307-1313, 64 3203-3246 vs 3436-3553, 128 2884-2952 vs 3376-3453; 32 within the noise).
    /// </summary>
    public int NumMicroBatches { get; set; } = 1;

    /// <summary>
    /// Threads that share the LM head on a CPU gateway device, each computing the logits of one slice of the
    /// vocabulary; 0 = the cores divided by TorchThreads. 1 computes it on the engine thread alone.
    /// </summary>
    public int LmHeadThreads { get; set; }

    public int MaxNumSeqs { get; set; } = 256;

    public int MaxNumBatchedTokens { get; set; } = 8192;

    /// <summary>Prompt plus generated tokens per sequence; 0 = the model's max_seq_len.</summary>
    public int MaxModelLen { get; set; }

    /// <summary>Tokens per KV cache block.</summary>
    public int KvBlockSize { get; set; } = 16;

    /// <summary>
    /// The KV cache's size in bytes on any gateway device; 0 (auto): 1 GiB on a CPU, and on a GPU what
    /// <see cref="GpuMemoryUtilization"/> leaves (set it when expert silos share the gateway's GPU: they load after it).
    /// </summary>
    public long KvCacheBytes { get; set; }

    /// <summary>On a GPU gateway device: the share of its memory Rex may fill, the KV cache taking what the weights leave.</summary>
    public double GpuMemoryUtilization { get; set; } = 0.9;

    /// <summary>Reuse the KV blocks of a prompt prefix another request already computed.</summary>
    public bool EnablePrefixCaching { get; set; } = true;

    /// <summary>Requests waiting for admission; beyond this a new one is turned away at once (RESOURCE_EXHAUSTED, HTTP 429).</summary>
    public int MaxQueuedRequests { get; set; } = 1024;

    /// <summary>Characters in a prompt's text or a conversation's messages, checked before tokenizing.</summary>
    public int MaxPromptChars { get; set; } = 1 << 20;

    /// <summary>With tracing on: every step that prefills gets a span, and every this-many-th decode step; 0 traces no decode step.</summary>
    public int TraceStepInterval { get; set; } = 16;

    /// <summary>Expert silos the gateway waits for before placing experts, so they spread over all of them.</summary>
    public int MinExpertSilos { get; set; } = 1;

    /// <summary>How often the gateway re-reads where experts live (also on membership changes and dispatch errors).</summary>
    public double ExpertDirectoryRefreshSeconds { get; set; } = 5;

    /// <summary>Longest a layer's dispatch may wait for its silos before the step fails.</summary>
    public double DispatchTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// Longest a request waits for experts that are not there (no expert silo yet, or a layer with no replica placed)
    /// before it is refused with UNAVAILABLE (HTTP 503 with Retry-After).
    /// </summary>
    public double ExpertWaitTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// How long one data-plane message waits for its silo before its rows go to another replica and the silo is
    /// suspect; 0 derives it from the last 256 round trips: max(50 ms, 20 x p99).
    /// </summary>
    public double ExpertDeadlineMs { get; set; }

    /// <summary>
    /// Whether a gateway whose own process also has the expert role calls those experts directly, the rows staying a
    /// tensor on its device (the default); false sends them through the data plane's gRPC as to any other silo.
    /// </summary>
    public bool InProcessExperts { get; set; } = true;

    /// <summary>Deadlines an expert silo misses in a row before it is out of routing (until it answers again).</summary>
    public int SuspectAfterMissedDeadlines { get; set; } = 3;

    /// <summary>How often the rebalancer measures per-expert load and moves replicas off the busiest silo; 0 turns it off.</summary>
    public double RebalanceIntervalSeconds { get; set; } = 30;

    /// <summary>Most expert replicas the rebalancer moves in one interval (each reloads its weights on its new silo).</summary>
    public int MaxExpertMovesPerInterval { get; set; } = 2;

    /// <summary>The rebalancer acts while the busiest expert silo serves more than this many times the mean load.</summary>
    public double RebalanceImbalance { get; set; } = 1.25;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of its range; run at start-up.</summary>
    public GatewayOptions Validate()
    {
        Require(Port is >= 0 and <= 65535, nameof(Port), Port, "must be a TCP port (0 picks one)");
        Require(HttpPort is >= 0 and <= 65535, nameof(HttpPort), HttpPort, "must be a TCP port (0 picks one)");
        Require(MaxNumSeqs >= 1, nameof(MaxNumSeqs), MaxNumSeqs, "must be at least 1");
        Require(MaxNumBatchedTokens >= 1, nameof(MaxNumBatchedTokens), MaxNumBatchedTokens, "must be at least 1");
        Require(MaxModelLen >= 0, nameof(MaxModelLen), MaxModelLen, "must be 0 (the model's) or positive");
        Require(NumMicroBatches >= 1, nameof(NumMicroBatches), NumMicroBatches, "must be at least 1");
        Require(LmHeadThreads >= 0, nameof(LmHeadThreads), LmHeadThreads, "must be 0 (automatic) or positive");
        Require(double.IsFinite(ExpertCapacityFactor) && ExpertCapacityFactor >= 0, nameof(ExpertCapacityFactor), ExpertCapacityFactor, "must be 0 (no limit) or positive");
        Require(MaxRowsPerSiloMessage >= 0, nameof(MaxRowsPerSiloMessage), MaxRowsPerSiloMessage, "must be 0 (no limit) or positive");
        Require(KvBlockSize >= 1, nameof(KvBlockSize), KvBlockSize, "must be at least 1");
        Require(KvCacheBytes >= 0, nameof(KvCacheBytes), KvCacheBytes, "must be 0 (auto) or positive");
        Require(GpuMemoryUtilization is > 0 and <= 1, nameof(GpuMemoryUtilization), GpuMemoryUtilization, "must be in (0, 1]");
        Require(MaxQueuedRequests >= 0, nameof(MaxQueuedRequests), MaxQueuedRequests, "must not be negative");
        Require(MaxPromptChars >= 1, nameof(MaxPromptChars), MaxPromptChars, "must be at least 1");
        Require(TraceStepInterval >= 0, nameof(TraceStepInterval), TraceStepInterval, "must be 0 (no decode steps) or positive");
        Require(MinExpertSilos >= 0, nameof(MinExpertSilos), MinExpertSilos, "must not be negative");
        Require(ExpertDirectoryRefreshSeconds > 0, nameof(ExpertDirectoryRefreshSeconds), ExpertDirectoryRefreshSeconds, "must be positive");
        Require(DispatchTimeoutSeconds > 0, nameof(DispatchTimeoutSeconds), DispatchTimeoutSeconds, "must be positive");
        Require(double.IsFinite(ExpertWaitTimeoutSeconds) && ExpertWaitTimeoutSeconds > 0, nameof(ExpertWaitTimeoutSeconds), ExpertWaitTimeoutSeconds,
            "must be positive");
        Require(double.IsFinite(ExpertDeadlineMs) && ExpertDeadlineMs >= 0, nameof(ExpertDeadlineMs), ExpertDeadlineMs,
            "must be 0 (derived from observed round trips) or positive");
        Require(SuspectAfterMissedDeadlines >= 1, nameof(SuspectAfterMissedDeadlines), SuspectAfterMissedDeadlines, "must be at least 1");
        Require(double.IsFinite(RebalanceIntervalSeconds) && RebalanceIntervalSeconds >= 0, nameof(RebalanceIntervalSeconds), RebalanceIntervalSeconds,
            "must be 0 (off) or positive");
        Require(MaxExpertMovesPerInterval >= 1, nameof(MaxExpertMovesPerInterval), MaxExpertMovesPerInterval, "must be at least 1");
        Require(double.IsFinite(RebalanceImbalance) && RebalanceImbalance >= 1, nameof(RebalanceImbalance), RebalanceImbalance, "must be at least 1");
        Require(TlsCertificatePath.Length == 0 == (TlsKeyPath.Length == 0), nameof(TlsKeyPath), TlsKeyPath,
            "and TlsCertificatePath must be set together");
        Require(CorsOrigins.All(IsOrigin), nameof(CorsAllowedOrigins), CorsAllowedOrigins,
            "must be '*' or origins such as https://app.example.com (scheme, host and port only), comma-separated");
        DeviceSpec.Parse(GatewayDevice);
        _ = Replicas;
        return this;

        static void Require(bool condition, string setting, object value, string rule)
        {
            if (!condition) throw new ArgumentException($"{setting} = {value} {rule}", setting);
        }
    }

    // A browser sends its page's origin as scheme://host[:port], without a default port: a path, even "/", or
    // ":443" on https would never match it.
    static bool IsOrigin(string origin) => origin == "*" || Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && uri.Scheme is "http" or "https" && string.Equals(origin, uri.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);

    public ReplicaCounts Replicas => new(ExpertReplicas, ExpertReplicaOverrides);

    /// <summary>Prompt plus generated tokens per sequence: MaxModelLen within the model's max_seq_len.</summary>
    public int EffectiveMaxModelLen(int modelMaxSeqLen) => MaxModelLen > 0 ? Math.Min(MaxModelLen, modelMaxSeqLen) : modelMaxSeqLen;
}
