using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace PathoFed.Federation.Security;

/// <summary>
/// TLS options for the federation's mutual TLS: both sides present a certificate from the federation CA, and each
/// judges the other with a <see cref="PeerCertificatePolicy"/>. For <see cref="SslStream"/> and
/// <c>SocketsHttpHandler.SslOptions</c>; Kestrel builds its own options, so there use
/// <see cref="PeerCertificatePolicy.ValidateCertificate"/> with <c>ClientCertificateMode.RequireCertificate</c>.
/// </summary>
public static class FederationTls
{
    /// <summary>TLS 1.2 at least; the platform picks 1.3 when both ends have it.</summary>
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>The coordinator's side: present <paramref name="coordinatorCertificate"/>, require a client certificate and judge it with <paramref name="siteClientPolicy"/>.</summary>
    public static SslServerAuthenticationOptions ServerOptions(X509Certificate2 coordinatorCertificate, PeerCertificatePolicy siteClientPolicy)
    {
        ArgumentNullException.ThrowIfNull(coordinatorCertificate);
        ArgumentNullException.ThrowIfNull(siteClientPolicy);
        return new SslServerAuthenticationOptions
        {
            // offline: the chain is the federation CA alone; nothing to download.
            ServerCertificateContext = SslStreamCertificateContext.Create(coordinatorCertificate, additionalCertificates: null, offline: true),
            ClientCertificateRequired = true,
            RemoteCertificateValidationCallback = siteClientPolicy.ValidateRemoteCertificate,
            EnabledSslProtocols = Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
    }

    /// <summary>A site's side: present <paramref name="siteCertificate"/> (<c>null</c> presents none, which the coordinator refuses), connect to the policy's host and judge the coordinator with <paramref name="coordinatorPolicy"/>.</summary>
    public static SslClientAuthenticationOptions ClientOptions(X509Certificate2? siteCertificate, PeerCertificatePolicy coordinatorPolicy)
    {
        ArgumentNullException.ThrowIfNull(coordinatorPolicy);
        if (coordinatorPolicy.ExpectedHostName is null)
            throw new ArgumentException("A site's TLS options need the policy from PeerCertificatePolicy.ForCoordinatorServer.", nameof(coordinatorPolicy));
        return new SslClientAuthenticationOptions
        {
            TargetHost = coordinatorPolicy.ExpectedHostName,
            // A certificate context, not a ClientCertificates collection: the platform would otherwise filter the
            // collection by the CA names the server advertises and might silently send nothing.
            ClientCertificateContext = siteCertificate is null ? null : SslStreamCertificateContext.Create(siteCertificate, additionalCertificates: null, offline: true),
            RemoteCertificateValidationCallback = coordinatorPolicy.ValidateRemoteCertificate,
            EnabledSslProtocols = Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
    }
}
