using System.Runtime.CompilerServices;
using Grpc.Core;
using Grpc.Net.Client;
using Rex.Protos.Api;

namespace Rex.Client;

/// <summary>
/// A client of a Rex gateway's public gRPC API (`rex.v1`): one method per RPC, each call carrying the options' API
/// key and deadline and retried on UNAVAILABLE. Thread-safe and meant to be shared; dispose to close the connection.
/// <see cref="RexClientExtensions"/> adds shorthands that take a prompt string.
/// </summary>
public sealed class RexClient : IDisposable
{
    readonly GrpcChannel channel;
    readonly Protos.Api.Rex.RexClient rex;
    readonly Cluster.ClusterClient cluster;
    readonly Metadata? headers;
    readonly TimeSpan? timeout;
    readonly int maxRetries;

    /// <param name="address">The gateway, e.g. http://127.0.0.1:50051; the other options keep their defaults.</param>
    /// <exception cref="ArgumentException">The address is not an http:// or https:// URL.</exception>
    public RexClient(string address) : this(new RexClientOptions { Address = address }, nameof(address))
    {
    }

    /// <param name="options">The gateway and how to call it.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public RexClient(RexClientOptions options) : this(options, nameof(options))
    {
    }

    RexClient(RexClientOptions options, string parameter)
    {
        ArgumentNullException.ThrowIfNull(options, parameter);
        channel = RexChannel.Create(options, parameter);
        rex = new Protos.Api.Rex.RexClient(channel);
        cluster = new Cluster.ClusterClient(channel);
        headers = options.ApiKey is { } key ? new Metadata { { "authorization", $"Bearer {key}" } } : null;
        timeout = options.Timeout;
        maxRetries = options.MaxRetries;
    }

    /// <summary>Generates a completion of a prompt (text or token ids) and returns it whole.</summary>
    public async Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default) =>
        await rex.GenerateAsync(request, Options(cancellationToken));

    /// <summary>
    /// Generates a completion, one message per engine step with the new tokens and their text; the last message
    /// carries the finish reason and usage. The call starts when enumeration starts; leaving the loop cancels it.
    /// A stream cut by UNAVAILABLE (its gateway lost) is started again, up to MaxRetries times, when nothing was
    /// delivered yet or its tokens are reproducible (greedy, or seeded); the caller sees each token once.
    /// </summary>
    public IAsyncEnumerable<GenerateStreamResponse> GenerateStreamAsync(GenerateRequest request, CancellationToken cancellationToken = default) =>
        ReadAll(options => rex.GenerateStream(request, options), request.Sampling, cancellationToken);

    /// <summary>Generates the assistant's reply to a conversation, rendered through the model's chat template.</summary>
    public async Task<GenerateResponse> ChatAsync(ChatRequest request, CancellationToken cancellationToken = default) =>
        await rex.ChatAsync(request, Options(cancellationToken));

    /// <summary>The assistant's reply streamed as <see cref="GenerateStreamAsync(GenerateRequest, CancellationToken)"/> streams.</summary>
    public IAsyncEnumerable<GenerateStreamResponse> ChatStreamAsync(ChatRequest request, CancellationToken cancellationToken = default) =>
        ReadAll(options => rex.ChatStream(request, options), request.Sampling, cancellationToken);

    /// <summary>Text to token ids as a prompt is encoded (ordinary text: no special tokens).</summary>
    public async Task<TokenizeResponse> TokenizeAsync(TokenizeRequest request, CancellationToken cancellationToken = default) =>
        await rex.TokenizeAsync(request, Options(cancellationToken));

    /// <summary>Token ids to text.</summary>
    public async Task<DetokenizeResponse> DetokenizeAsync(DetokenizeRequest request, CancellationToken cancellationToken = default) =>
        await rex.DetokenizeAsync(request, Options(cancellationToken));

    /// <summary>The models the gateway serves, with their context length and vocabulary size.</summary>
    public async Task<ListModelsResponse> ListModelsAsync(CancellationToken cancellationToken = default) =>
        await rex.ListModelsAsync(new ListModelsRequest(), Options(cancellationToken));

    /// <summary>Every silo with its roles, devices and hosted experts; dispatch, scheduler and step-time counters.</summary>
    public async Task<ClusterStatusResponse> GetClusterStatusAsync(CancellationToken cancellationToken = default) =>
        await cluster.GetStatusAsync(new ClusterStatusRequest(), Options(cancellationToken));

    /// <summary>Closes the connection; calls still running fail.</summary>
    public void Dispose() => channel.Dispose();

    // The deadline is taken when a call starts, so Timeout bounds each call rather than the client's lifetime.
    CallOptions Options(CancellationToken cancellationToken) =>
        new(headers, timeout is { } limit ? DateTime.UtcNow + limit : null, cancellationToken);

    // gRPC's retry policy restarts a stream only before its first message; this restarts one cut later. One deadline
    // (Timeout) bounds every attempt together, as it bounds a stream that is never cut.
    async IAsyncEnumerable<GenerateStreamResponse> ReadAll(Func<CallOptions, AsyncServerStreamingCall<GenerateStreamResponse>> start,
        SamplingParameters? sampling, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var options = Options(cancellationToken);
        var delivered = new DeliveredStream();
        for (var restarts = 0; ; restarts++)
        {
            using var call = start(options);
            delivered.Restart();
            while (true)
            {
                bool more;
                try
                {
                    more = await call.ResponseStream.MoveNext(cancellationToken);
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && restarts < maxRetries && (delivered.IsEmpty || Reproducible(sampling)))
                {
                    break;
                }
                if (!more) yield break;
                if (delivered.Next(call.ResponseStream.Current) is { } fresh) yield return fresh;
            }
        }
    }

    // Greedy (the default) or seeded sampling gives the same tokens again; anything else would give another continuation.
    static bool Reproducible(SamplingParameters? sampling) =>
        sampling is null || !sampling.HasTemperature || sampling.Temperature == 0 || sampling.HasSeed;
}
