using System.Security.Cryptography.X509Certificates;
using Rex.Tests;

namespace Rex.EndToEnd.Tests;

/// <summary>TlsCertificatePath and TlsKeyPath: both public ports serve TLS with the given certificate.</summary>
public sealed class GatewayTlsTests
{
    [Fact]
    public async Task BothPortsServeTlsWithTheConfiguredCertificate()
    {
        using var certificate = SelfSignedCertificate.ForLoopback();
        using var files = new TemporaryDirectory();
        var (certPath, keyPath) = (Path.Combine(files.Path, "tls.crt"), Path.Combine(files.Path, "tls.key"));
        await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());

        await using var gateway = await GatewayProcess.Start(
            [.. GatewayProcess.FixtureModel, $"--Rex:TlsCertificatePath={certPath}", $"--Rex:TlsKeyPath={keyPath}"], trustedRoot: certificate);
        Assert.StartsWith("https://", gateway.Address);
        Assert.StartsWith("https://", gateway.OpenAiBase);
        Assert.Equal(FixtureGreedy.All[1].Tokens, await GatewayClient.Greedy(gateway.Client, FixtureGreedy.All[1].Prompt));

        using var trusting = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == certificate.Thumbprint,
        };
        using var http = new HttpClient(trusting);
        Assert.Contains("\"dbrx-tiny\"", await http.GetStringAsync(gateway.OpenAiBase + "/models"));
        // Plaintext is not served beside TLS.
        using var plain = new HttpClient();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetStringAsync(gateway.OpenAiBase.Replace("https://", "http://") + "/models"));
    }
}
