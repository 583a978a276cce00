using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Runtime.Messaging;
using Rex.Client;
using Rex.Protos.DataPlane;
using Rex.Protos.Grains;
using Rex.Silo.DataPlane;
using Rex.Silo.Hosting;
using Rex.Silo.Security;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>
/// Nobody joins a `rex cluster up` cluster uninvited. A silo process with the cluster's id, membership and data-plane
/// secret but not its certificate (none, or one another authority issued) never becomes a member, while one started
/// alike with the certificate joins; an Orleans client without the certificate cannot reach the gateway grain, which
/// one with it can, past the API key; the data plane refuses in the handshake a client without a member's certificate.
/// </summary>
public sealed class ClusterTlsTests(TlsCluster cluster) : IClassFixture<TlsCluster>, IDisposable
{
    // After the member joins, how much longer the others get to try.
    static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);
    static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(90);

    readonly TemporaryDirectory foreign = Foreign(cluster);

    [Fact]
    public async Task ASiloWithoutTheClustersCertificateNeverJoinsWhileOneWithItDoes()
    {
        var (member, bare, impostor) = (FreePort.Pick(), FreePort.Pick(), FreePort.Pick());
        await using var joining = StartSilo(member, cluster.TlsDirectory);
        await using var withoutCertificate = StartSilo(bare, "");
        await using var withForeignCertificate = StartSilo(impostor, foreign.Path);
        using var client = new RexClient(cluster.Address);

        var clock = Stopwatch.StartNew();
        TimeSpan? joined = null;
        while (joined is null || clock.Elapsed < joined + Grace)
        {
            var silos = (await client.GetClusterStatusAsync()).Silos;
            Assert.DoesNotContain(silos, s => IsOn(s.Address, bare) || IsOn(s.Address, impostor));
            if (joined is null && silos.Any(s => IsOn(s.Address, member))) joined = clock.Elapsed;
            Assert.True(joined is not null || clock.Elapsed < JoinTimeout, $"the silo with the cluster's certificate did not join within {JoinTimeout.TotalSeconds} s");
            await Task.Delay(250);
        }

        // A refusal is what keeps them out, not their own settings: still knocking, or given up because no member
        // answered the connectivity check Orleans runs before a silo joins (with the membership table in a store of
        // its own, as `rex cluster up` keeps it, a silo that reaches no member ends its start-up there).
        foreach (var rogue in new[] { withoutCertificate, withForeignCertificate })
            Assert.True(!rogue.HasExited || rogue.Output.Contains("Failed to get ping responses from", StringComparison.Ordinal), rogue.Output);

        foreach (var (prompt, tokens) in FixtureGreedy.All) Assert.Equal(tokens, await GatewayClient.Greedy(client, prompt));
        var after = await client.GetClusterStatusAsync();
        Assert.Equal(after.ExpectedExperts, after.Silos.Sum(s => s.Experts.Count));
        Assert.DoesNotContain(after.Silos, s => IsOn(s.Address, bare) || IsOn(s.Address, impostor));
    }

    [Fact]
    public async Task AnOrleansClientWithoutTheClustersCertificateCannotReachTheGatewayGrain()
    {
        using var client = new RexClient(cluster.Address);
        var gateway = (await client.GetClusterStatusAsync()).Silos.Single(s => s.Roles.Contains(SiloRoles.Gateway)).Address;
        // SiloAddress.ToString() is S<ip>:<port>:<generation>; the grain's key holds the parsable <ip>:<port>@<generation>.
        var parts = gateway[1..].Split(':');
        var key = $"dbrx-tiny/{parts[0]}:{parts[1]}@{parts[2]}";

        // With the certificate a client calls the gateway grain directly, no API key asked: what TLS keeps from anyone else.
        using (var member = await OrleansClient(ClusterCertificates.Load(cluster.TlsDirectory)!.Certificate))
        {
            Assert.Equal("dbrx-tiny", (await member.Services.GetRequiredService<IClusterClient>().GetGrain<IGatewayGrain>(key).Status()).Model);
            await member.StopAsync();
        }

        foreach (var certificate in new[] { null, ClusterCertificates.Load(foreign.Path)!.Certificate })
        {
            // Refused in the handshake: the connection ends before Orleans' preamble.
            await Assert.ThrowsAsync<ConnectionFailedException>(async () =>
            {
                using var rogue = await OrleansClient(certificate);
                await rogue.Services.GetRequiredService<IClusterClient>().GetGrain<IGatewayGrain>(key).Status();
            });
        }
    }

    [Fact]
    public async Task TheDataPlaneRefusesAClientWithoutAMembersCertificateInTheHandshake()
    {
        using var client = new RexClient(cluster.Address);
        var dataPlane = (await client.GetClusterStatusAsync()).Silos.First(s => s.DataPlane.Length > 0).DataPlane;
        Assert.StartsWith("https://127.0.0.1:", dataPlane);
        var secret = new DataPlaneSecret(cluster.Silo.Environment["REX_DataPlaneSecret"]);

        foreach (var certificate in new[] { null, ClusterCertificates.Load(foreign.Path)!.Certificate })
        {
            // It trusts any silo and knows the secret: only the handshake stands in its way. Past it the service would
            // hold the stream open for batches, and the deadline would end the wait instead (DEADLINE_EXCEEDED).
            var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            if (certificate is not null) handler.SslOptions.ClientCertificates = [certificate];
            using var channel = GrpcChannel.ForAddress(dataPlane, new GrpcChannelOptions { HttpHandler = handler });
            using var call = new ExpertDataPlane.ExpertDataPlaneClient(channel).Exchange(secret.Headers, DateTime.UtcNow.AddSeconds(10));
            var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
            // TLS 1.3: the refusal may end the connection's setup (UNAVAILABLE) or the connection under the starting call (INTERNAL).
            Assert.Contains(error.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
        }
    }

    // A silo started as the cluster's own was (its id, membership, secret) on silo port `port`, with `tls` as its credentials.
    ChildProcess StartSilo(int port, string tls) =>
        ChildProcess.Start(cluster.Silo.Program, [.. cluster.Silo.Args, $"--Rex:SiloPort={port}", $"--Rex:ClusterTlsDirectory={tls}"],
            cluster.Silo.Environment);

    // Silo addresses read S<ip>:<port>:<generation>.
    static bool IsOn(string siloAddress, int port) => siloAddress.Contains($":{port}:", StringComparison.Ordinal);

    // An Orleans client of the cluster through the gateway silo's client port: plaintext without a certificate, else TLS
    // presenting it and trusting any silo. Started before it is returned; throws when it cannot connect.
    async Task<IHost> OrleansClient(X509Certificate2? certificate)
    {
        var host = new HostBuilder().UseOrleansClient(client =>
        {
            client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, cluster.OrleansGatewayPort));
            client.Configure<ClusterOptions>(options => (options.ClusterId, options.ServiceId) = (cluster.ClusterId, "rex"));
            if (certificate is not null) client.UseTls(certificate, tls => tls.AllowAnyRemoteCertificate());
            // One try: a refused client then fails at once with the reason, instead of retrying until the bound.
            client.UseConnectionRetryFilter((_, _) => Task.FromResult(false));
        }).Build();
        try
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await host.StartAsync(bound.Token);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    // Credentials another authority issued, that authority trusted beside the cluster's own: their holder trusts the
    // cluster's processes and itself, so only the cluster's refusal keeps it out.
    static TemporaryDirectory Foreign(TlsCluster cluster)
    {
        var directory = new TemporaryDirectory();
        ThrowawayCertificateAuthority.Write(directory.Path, TimeSpan.FromDays(1));
        File.AppendAllText(directory.File(ClusterCertificates.AuthorityFile), File.ReadAllText(Path.Combine(cluster.TlsDirectory, ClusterCertificates.AuthorityFile)));
        return directory;
    }

    public void Dispose() => foreign.Dispose();
}
