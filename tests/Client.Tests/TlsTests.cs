using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Rex.Tests;

namespace Rex.Client.Tests;

/// <summary>https:// addresses against a server with a self-signed certificate for 127.0.0.1.</summary>
public sealed class TlsTests : IAsyncLifetime
{
    readonly X509Certificate2 certificate = SelfSignedCertificate.ForLoopback();
    FlakyServer server = null!;

    public async Task InitializeAsync() => server = await FlakyServer.Start(failures: 0, certificate: certificate);

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        certificate.Dispose();
    }

    [Fact]
    public async Task AServerCertificateChainingToTheGivenRootIsTrusted()
    {
        using var client = new RexClient(new RexClientOptions { Address = server.Address, RootCertificate = certificate, MaxRetries = 0 });
        Assert.Equal("ok", (await client.GenerateAsync("hi")).Text);
    }

    [Fact]
    public async Task AnUntrustedServerCertificateIsRefused()
    {
        using var client = new RexClient(new RexClientOptions { Address = server.Address, MaxRetries = 0 });
        var error = await Assert.ThrowsAsync<RpcException>(() => client.GenerateAsync("hi"));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("SSL", error.Status.Detail);
        Assert.Equal(0, server.Attempts);
    }

    [Fact]
    public async Task DangerousAcceptAnyServerCertificateAcceptsIt()
    {
        using var client = new RexClient(new RexClientOptions { Address = server.Address, DangerousAcceptAnyServerCertificate = true, MaxRetries = 0 });
        Assert.Equal("ok", (await client.GenerateAsync("hi")).Text);
    }
}
