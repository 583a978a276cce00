using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Rex.Protos.DataPlane;
using Rex.Silo.DataPlane;
using Rex.Silo.Hosting;
using Rex.Silo.Security;
using Rex.Tests;

namespace Rex.Silo.Tests.DataPlane;

/// <summary>
/// With the cluster's certificates a silo's data plane serves mutual TLS only: a client that presents no certificate,
/// or one another authority issued, is refused in the handshake, before any stream opens (never the service's
/// UNAUTHENTICATED for a missing secret); a member with the secret is served.
/// </summary>
public sealed class DataPlaneTlsTests
{
    /// <summary>
    /// How a client sees its certificate refused. TLS 1.3 lets it start HTTP/2 before the server's refusal arrives, so
    /// the refusal ends either the connection's setup (UNAVAILABLE) or the connection under the starting call (INTERNAL).
    /// </summary>
    static readonly StatusCode[] Refused = [StatusCode.Unavailable, StatusCode.Internal];

    [Fact]
    public async Task OnlyAClientWithAMembersCertificateGetsAStream()
    {
        using var cluster = new TemporaryDirectory();
        using var other = new TemporaryDirectory();
        ThrowawayCertificateAuthority.Write(cluster.Path, TimeSpan.FromDays(1));
        ThrowawayCertificateAuthority.Write(other.Path, TimeSpan.FromDays(1));
        var certificates = ClusterCertificates.Load(cluster.Path)!;
        await using var server = await EmptyDataPlane.Start(new RexOptions { DataPlaneSecret = "s3cret" }, certificates);
        Assert.StartsWith("https://127.0.0.1:", server.Address);

        foreach (var presented in new[] { null, ClusterCertificates.Load(other.Path)!.Certificate })
        {
            // The client trusts any server and sends no secret: only the handshake can refuse it before the service would.
            using var refused = Channel(server.Address, presented);
            using var call = new ExpertDataPlane.ExpertDataPlaneClient(refused).Exchange();
            var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Contains(error.StatusCode, Refused);
        }
        // h2c to the TLS port gets no stream either.
        using var plaintext = GrpcChannel.ForAddress(server.Address.Replace("https://", "http://"));
        using var plain = new ExpertDataPlane.ExpertDataPlaneClient(plaintext).Exchange();
        Assert.NotEqual(StatusCode.OK, (await Assert.ThrowsAsync<RpcException>(() => plain.ResponseStream.MoveNext(CancellationToken.None))).StatusCode);

        using var member = Channel(server.Address, certificates.Certificate);
        await EmptyDataPlane.AssertServed(new ExpertDataPlane.ExpertDataPlaneClient(member).Exchange(new DataPlaneSecret("s3cret").Headers));
    }

    static GrpcChannel Channel(string address, X509Certificate2? certificate)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        if (certificate is not null) handler.SslOptions.ClientCertificates = [certificate];
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler });
    }
}
