using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Rex.Gateway.Dispatch;
using Rex.Protos.DataPlane;
using Rex.Silo.DataPlane;
using Rex.Silo.Experts;
using Rex.Silo.Hosting;
using Rex.Silo.Security;
using Rex.Tests;
using static TorchSharp.torch;

namespace Rex.Gateway.Tests.Dispatch;

/// <summary>
/// A gateway with the cluster's certificates sends nothing to a silo that cannot prove itself: not to one whose
/// certificate another authority issued (the handshake fails before a byte of HTTP/2, so neither rows nor the secret
/// leave), nor to one that advertises a plaintext address (never dialled); a member silo gets its batches.
/// </summary>
public sealed class SiloChannelTlsTests : IDisposable
{
    static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    readonly TemporaryDirectory cluster = new();
    readonly TemporaryDirectory other = new();
    readonly ClusterCertificates certificates;

    public SiloChannelTlsTests()
    {
        ThrowawayCertificateAuthority.Write(cluster.Path, TimeSpan.FromDays(1));
        ThrowawayCertificateAuthority.Write(other.Path, TimeSpan.FromDays(1));
        certificates = ClusterCertificates.Load(cluster.Path)!;
    }

    [Fact]
    public async Task ASiloWhoseCertificateAnotherAuthorityIssuedReadsNothing()
    {
        using var impostor = new TcpListener(IPAddress.Loopback, 0);
        impostor.Start();
        var read = ReadAfterHandshake(impostor, ClusterCertificates.Load(other.Path)!.Certificate);
        await using var channel = new SiloChannel($"https://127.0.0.1:{((IPEndPoint)impostor.LocalEndpoint).Port}", new DataPlaneSecret("s3cret"),
            certificates, _ => { });

        using var bound = new CancellationTokenSource(Bound);
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.Send(new ExpertBatch(), bound.Token));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(0, await read);
    }

    [Fact]
    public async Task APlaintextAddressIsNeverDialled()
    {
        using var silo = new TcpListener(IPAddress.Loopback, 0);
        silo.Start();
        await using var channel = new SiloChannel($"http://127.0.0.1:{((IPEndPoint)silo.LocalEndpoint).Port}", new DataPlaneSecret("s3cret"),
            certificates, _ => { });

        using var bound = new CancellationTokenSource(Bound);
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.Send(new ExpertBatch(), bound.Token));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("no TLS", error.Status.Detail);
        Assert.False(silo.Pending(), "the gateway connected to a plaintext address");
    }

    [Fact]
    public async Task AMemberSiloAnswersOverMutualTls()
    {
        using var catalog = new ModelCatalog(TestPaths.DbrxTiny, "dbrx-tiny", ScalarType.Float32);
        var registry = new ExpertRegistry();
        await using var server = new DataPlaneServer(Options.Create(new RexOptions { DataPlaneSecret = "s3cret" }), new ExpertBatchRunner(registry, catalog),
            registry, certificates: certificates);
        await server.StartAsync(CancellationToken.None);
        var answered = new List<string>();
        await using var channel = new SiloChannel(await registry.DataPlaneAddress, new DataPlaneSecret("s3cret"), certificates, answered.Add);

        using var bound = new CancellationTokenSource(Bound);
        var probe = new ExpertBatch();
        var reply = await channel.Send(probe, bound.Token);
        Assert.Equal(probe.RequestId, reply.RequestId);
        Assert.Equal([await registry.DataPlaneAddress], answered);
        await server.StopAsync(CancellationToken.None);
    }

    // How many bytes an impostor silo that accepts any client reads first from the gateway once TLS is up: 0 when the handshake fails.
    static async Task<int> ReadAfterHandshake(TcpListener listener, X509Certificate2 certificate)
    {
        using var connection = await listener.AcceptTcpClientAsync();
        await using var tls = new SslStream(connection.GetStream());
        try
        {
            // HTTP/2 offered, as a real data plane does: without it the gateway would stop for want of HTTP/2, not of trust.
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = certificate,
                ApplicationProtocols = [SslApplicationProtocol.Http2],
            });
            // The first bytes are enough to know: the connection then closes, which ends the gateway's send.
            return await tls.ReadAsync(new byte[4096]);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            return 0;
        }
    }

    public void Dispose()
    {
        cluster.Dispose();
        other.Dispose();
    }
}
