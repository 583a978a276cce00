using Microsoft.Extensions.DependencyInjection;
using Orleans.Connections.Security;
using Rex.Silo.Hosting;

namespace Rex.Silo.Security;

/// <summary>Mutual TLS on every Orleans connection of a Rex silo: to and from other silos, and from clients.</summary>
public static class ClusterTlsSiloBuilderExtensions
{
    /// <summary>
    /// With <see cref="RexOptions.ClusterTlsDirectory"/> set, the silo accepts only connections that present a member's
    /// certificate (<see cref="ClusterCertificates.IsMember"/>), on its silo port and its client gateway port alike,
    /// and connects only to silos that do; the credentials are also registered for the data plane. Without it:
    /// plaintext, with a warning when the silo is part of a cluster of several processes.
    /// </summary>
    public static ISiloBuilder UseRexClusterTls(this ISiloBuilder silo, RexOptions options)
    {
        if (ClusterCertificates.Load(options.ClusterTlsDirectory) is not { } certificates)
        {
            if (PlaintextClusterWarning.Applies(options)) silo.Services.AddHostedService<PlaintextClusterWarning>();
            return silo;
        }
        silo.Services.AddSingleton(certificates);
        return silo.UseTls(certificates.Certificate, tls =>
        {
            tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            tls.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
            tls.RemoteCertificateValidation = (certificate, _, _) => certificates.IsMember(certificate);
        });
    }
}
