using System.Net;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Rex.Silo.Security;

/// <summary>
/// The credentials `rex cluster up` gives a local cluster: a fresh certificate authority issues one certificate that
/// every process of the cluster presents (ECDSA P-256; names localhost, 127.0.0.1 and ::1; server and client
/// authentication), written as <see cref="ClusterCertificates"/> reads them, the key readable by its owner alone.
/// The authority's key is never written: once the certificate is issued nothing can issue another, so the members are
/// exactly the processes given this directory.
/// </summary>
public static class ThrowawayCertificateAuthority
{
    const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Write(string directory, TimeSpan lifetime)
    {
        // Unix permissions are how the key stays private; local clusters run on Linux (ChildProcesses).
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("a local cluster's credentials need Unix file permissions");
        Directory.CreateDirectory(directory, OwnerOnly | UnixFileMode.UserExecute);
        // Back-dated a little, so a clock a few minutes behind this one still accepts it.
        var (notBefore, notAfter) = (DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.Add(lifetime));

        using var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var authorityRequest = new CertificateRequest($"CN=Rex cluster authority {Guid.NewGuid():N}", authorityKey, HashAlgorithmName.SHA256);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        authorityRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(authorityRequest.PublicKey, false));
        using var authority = authorityRequest.CreateSelfSigned(notBefore, notAfter);

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Rex cluster member", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [ClusterCertificates.ServerAuthentication, ClusterCertificates.ClientAuthentication], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        using var issued = request.Create(authority, notBefore, notAfter, RandomNumberGenerator.GetBytes(16));

        WriteFile(Path.Combine(directory, ClusterCertificates.AuthorityFile), authority.ExportCertificatePem());
        WriteFile(Path.Combine(directory, ClusterCertificates.CertificateFile), issued.ExportCertificatePem());
        WriteFile(Path.Combine(directory, ClusterCertificates.KeyFile), key.ExportPkcs8PrivateKeyPem());
    }

    // Created afresh with owner-only permissions, so the key is never readable by others, not even for an instant.
    [UnsupportedOSPlatform("windows")]
    static void WriteFile(string path, string pem)
    {
        File.Delete(path);
        using var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly });
        using var writer = new StreamWriter(file);
        writer.WriteLine(pem);
    }
}
