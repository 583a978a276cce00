using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Rex.Silo.Security;

/// <summary>
/// A process's credentials for mutual TLS inside the cluster (<c>ClusterTlsDirectory</c>), read from a directory laid
/// out as a kubernetes.io/tls Secret with its CA, as cert-manager writes one: tls.crt and tls.key (this process's
/// certificate and key) and ca.crt (the authority). A peer is a member when ca.crt issued its certificate for both
/// server and client authentication: every Rex process accepts connections and opens them. Only ca.crt is trusted,
/// never the system's roots. Host names are not checked: silos are reached at whatever address membership advertises
/// (a pod IP), so the certificate, not the address, is what a peer proves. Revocation is not checked (a private
/// authority publishes no lists): a certificate is withdrawn by replacing the authority.
/// </summary>
public sealed class ClusterCertificates
{
    public const string CertificateFile = "tls.crt";
    public const string KeyFile = "tls.key";
    public const string AuthorityFile = "ca.crt";

    public static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1", "Server Authentication");
    public static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2", "Client Authentication");

    readonly X509Certificate2Collection authorities;

    ClusterCertificates(X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        Certificate = certificate;
        this.authorities = authorities;
    }

    /// <summary>This process's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The credentials in <paramref name="directory"/>; null when it is empty (no TLS).</summary>
    public static ClusterCertificates? Load(string directory)
    {
        if (directory.Length == 0) return null;
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(Path.Combine(directory, AuthorityFile));
        if (authorities.Count == 0) throw new ArgumentException($"{Path.Combine(directory, AuthorityFile)} holds no certificate", "ClusterTlsDirectory");
        using var pem = X509Certificate2.CreateFromPemFile(Path.Combine(directory, CertificateFile), Path.Combine(directory, KeyFile));
        // A PEM key is loaded as an ephemeral key, which SslStream cannot always present; a PKCS#12 round trip gives a usable one.
        var certificates = new ClusterCertificates(X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null), authorities);
        // Checked here, so a wrong file fails the start with its name rather than every handshake with none.
        if (!certificates.IsMember(certificates.Certificate))
            throw new ArgumentException($"{Path.Combine(directory, CertificateFile)} is not issued by {AuthorityFile} for both server and client " +
                "authentication, or is not valid now", "ClusterTlsDirectory");
        return certificates;
    }

    /// <summary>Whether <paramref name="peer"/> chains to the cluster's authority, is valid now and may serve and connect.</summary>
    public bool IsMember(X509Certificate? peer)
    {
        if (peer is null) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.ApplicationPolicy.Add(ServerAuthentication);
        chain.ChainPolicy.ApplicationPolicy.Add(ClientAuthentication);
        if (peer is X509Certificate2 certificate) return chain.Build(certificate);
        using var copy = X509CertificateLoader.LoadCertificate(peer.GetRawCertData());
        return chain.Build(copy);
    }

    /// <summary>Kestrel's TLS for a data-plane listener: this certificate, and a member's certificate required of every client.</summary>
    public HttpsConnectionAdapterOptions ServerOptions() => new()
    {
        ServerCertificate = Certificate,
        ClientCertificateMode = ClientCertificateMode.RequireCertificate,
        ClientCertificateValidation = (certificate, _, _) => IsMember(certificate),
        CheckCertificateRevocation = false,
    };

    /// <summary>A data-plane client's TLS: this certificate offered, and a member's certificate required of the server.</summary>
    public SslClientAuthenticationOptions ClientOptions() => new()
    {
        ClientCertificates = [Certificate],
        RemoteCertificateValidationCallback = (_, certificate, _, _) => IsMember(certificate),
    };
}
