using Grpc.Net.Client;
using Rex.Protos.Api;

namespace Rex.Client;

/// <summary>A client of a Rex gateway's public gRPC API (`rex.v1`). Thread-safe; dispose to close the connection.</summary>
public sealed class RexClient : IDisposable
{
    readonly GrpcChannel channel;
    readonly Protos.Api.Rex.RexClient rex;
    readonly Cluster.ClusterClient cluster;

    /// <param name="address">The gateway, e.g. http://127.0.0.1:50051.</param>
    public RexClient(string address)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"server address '{address}' is not an http:// or https:// URL", nameof(address));
        channel = GrpcChannel.ForAddress(uri);
        rex = new Protos.Api.Rex.RexClient(channel);
        cluster = new Cluster.ClusterClient(channel);
    }

    public async Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken = default) =>
        await rex.GenerateAsync(request, cancellationToken: cancellationToken);

    public async Task<ClusterStatusResponse> GetClusterStatusAsync(CancellationToken cancellationToken = default) =>
        await cluster.GetStatusAsync(new ClusterStatusRequest(), cancellationToken: cancellationToken);

    public void Dispose() => channel.Dispose();
}
