using System.Net;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Rex.Silo.Security;
using Rex.Tests;

namespace Rex.Silo.Tests.Security;

/// <summary>The credentials `rex cluster up` writes, and who counts as a member of the cluster they make.</summary>
public sealed class ClusterCertificatesTests
{
    static readonly TimeSpan Lifetime = TimeSpan.FromDays(1);

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void TheThrowawayAuthorityWritesAKeyOnlyItsOwnerReadsAndOneCertificateForServingAndConnecting()
    {
        using var directory = new TemporaryDirectory();
        var tls = directory.File("tls");
        ThrowawayCertificateAuthority.Write(tls, Lifetime);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(tls, ClusterCertificates.KeyFile)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(tls));
        // The authority's key is gone: nothing can issue another member's certificate.
        Assert.DoesNotContain("PRIVATE KEY", File.ReadAllText(Path.Combine(tls, ClusterCertificates.AuthorityFile)));

        var certificates = ClusterCertificates.Load(tls)!;
        var certificate = certificates.Certificate;
        Assert.True(certificate.HasPrivateKey);
        Assert.Equal(256, certificate.GetECDsaPublicKey()!.KeySize);
        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value);
        Assert.Equal([ClusterCertificates.ServerAuthentication.Value, ClusterCertificates.ClientAuthentication.Value], usages);
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["localhost"], names.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], names.EnumerateIPAddresses());
        Assert.True(certificates.IsMember(certificate));
    }

    [Fact]
    public void OnlyACertificateTheClustersAuthorityIssuedIsAMember()
    {
        using var cluster = new TemporaryDirectory();
        using var other = new TemporaryDirectory();
        ThrowawayCertificateAuthority.Write(cluster.Path, Lifetime);
        ThrowawayCertificateAuthority.Write(other.Path, Lifetime);
        var certificates = ClusterCertificates.Load(cluster.Path)!;

        Assert.False(certificates.IsMember(ClusterCertificates.Load(other.Path)!.Certificate));
        Assert.False(certificates.IsMember(SelfSignedCertificate.ForLoopback()));
        Assert.False(certificates.IsMember(null));
        // The same certificate as bytes alone, as a TLS handshake may hand it over.
        using var copy = X509CertificateLoader.LoadCertificate(certificates.Certificate.RawData);
        Assert.True(certificates.IsMember(copy));
    }

    [Fact]
    public void WithoutADirectoryThereIsNoTlsAndACertificateForServingAloneIsRefusedAtLoad()
    {
        Assert.Null(ClusterCertificates.Load(""));

        using var directory = new TemporaryDirectory();
        using var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var authorityRequest = new CertificateRequest("CN=test authority", authorityKey, HashAlgorithmName.SHA256);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var authority = authorityRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=server only", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ClusterCertificates.ServerAuthentication], false));
        using var serverOnly = request.Create(authority, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), [1, 2, 3, 4]);
        File.WriteAllText(directory.File(ClusterCertificates.AuthorityFile), authority.ExportCertificatePem());
        File.WriteAllText(directory.File(ClusterCertificates.CertificateFile), serverOnly.ExportCertificatePem());
        File.WriteAllText(directory.File(ClusterCertificates.KeyFile), key.ExportPkcs8PrivateKeyPem());

        var error = Assert.Throws<ArgumentException>(() => ClusterCertificates.Load(directory.Path));
        Assert.Contains(ClusterCertificates.CertificateFile, error.Message);
        Assert.Contains("client authentication", error.Message);
    }
}
