using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PathoFed.Federation.Security;

/// <summary>
/// Decides whether a TLS peer belongs to this federation, trusting only the federation's CA and never the system's.
/// The coordinator uses <see cref="ForSiteClients"/> to admit sites; a site uses <see cref="ForCoordinatorServer"/>
/// to check it reached the real coordinator.
/// </summary>
/// <remarks>
/// <para>Checks, in order: a certificate was presented; it chains to the federation CA alone
/// (<see cref="X509ChainTrustMode.CustomRootTrust"/>); it is within its validity period (and so is the CA); it is an
/// end-entity certificate with the role's extended key usage; its name is allowed (a site on the allow-list, or the
/// coordinator host name in its subject alternative names).</para>
/// <para>Revocation is not checked (<see cref="X509RevocationMode.NoCheck"/>): the federation has no CRL or OCSP
/// responder yet. Withdraw a site by removing it from the allow-list; a leaked coordinator key means a new CA.</para>
/// <para>The <see cref="SslPolicyErrors"/> the platform passes to the callbacks are ignored on purpose: they judge the
/// chain against the system trust store, which never contains the federation CA; this policy re-does the whole
/// judgement.</para>
/// </remarks>
public sealed class PeerCertificatePolicy
{
    private readonly X509Certificate2 _federationCa;
    private readonly FederationRole _expectedRole;
    private readonly AllowList? _allowList;
    private readonly TimeProvider _time;

    private PeerCertificatePolicy(X509Certificate2 federationCa, FederationRole expectedRole, AllowList? allowList, string? expectedHostName, TimeProvider? time)
    {
        ArgumentNullException.ThrowIfNull(federationCa);
        _federationCa = federationCa;
        _expectedRole = expectedRole;
        _allowList = allowList;
        ExpectedHostName = expectedHostName;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Raised after every <see cref="Evaluate"/> (so after every callback), accepted or not, on the caller's thread
    /// (the TLS handshake's): the place to log rejections and audit joins. An interceptor that re-evaluates a
    /// connection's certificate per call to learn the site name raises it again.
    /// </summary>
    public event EventHandler<PeerCertificateResult>? Decided;

    /// <summary>The coordinator host name a site expects in the server certificate; <c>null</c> for a policy on site clients.</summary>
    public string? ExpectedHostName { get; }

    /// <summary>The policy the coordinator applies to connecting sites: federation CA, clientAuth without serverAuth, CN a site name on <paramref name="allowList"/>.</summary>
    /// <param name="federationCa">The federation CA certificate (<c>ca.pem</c>); its private key is not needed. Kept, not copied: keep it undisposed while the policy is used.</param>
    /// <param name="allowList">The sites admitted.</param>
    /// <param name="time">Clock for validity checks; <c>null</c> for the system clock.</param>
    public static PeerCertificatePolicy ForSiteClients(X509Certificate2 federationCa, AllowList allowList, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(allowList);
        return new PeerCertificatePolicy(federationCa, FederationRole.Site, allowList, expectedHostName: null, time);
    }

    /// <summary>The policy a site applies to the coordinator: federation CA, serverAuth, and <paramref name="coordinatorHost"/> among its DNS or IP subject alternative names.</summary>
    /// <param name="federationCa">The federation CA certificate (<c>ca.pem</c>).</param>
    /// <param name="coordinatorHost">The host name or IP address the site connects to.</param>
    /// <param name="time">Clock for validity checks; <c>null</c> for the system clock.</param>
    public static PeerCertificatePolicy ForCoordinatorServer(X509Certificate2 federationCa, string coordinatorHost, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(coordinatorHost);
        return new PeerCertificatePolicy(federationCa, FederationRole.Coordinator, allowList: null, coordinatorHost, time);
    }

    /// <summary>Judges a presented certificate; never throws for a bad certificate, the result says why.</summary>
    public PeerCertificateResult Evaluate(X509Certificate2? certificate)
    {
        PeerCertificateResult result = certificate is null
            ? PeerCertificateResult.Reject(null, _expectedRole == FederationRole.Site ? "no client certificate was presented" : "the coordinator presented no certificate", null)
            : EvaluatePresented(certificate);
        Decided?.Invoke(this, result);
        return result;
    }

    /// <summary>
    /// A <see cref="RemoteCertificateValidationCallback"/>: set it as <see cref="SslServerAuthenticationOptions.RemoteCertificateValidationCallback"/>
    /// (coordinator) or <see cref="SslClientAuthenticationOptions.RemoteCertificateValidationCallback"/> and
    /// <c>HttpClientHandler.ServerCertificateCustomValidationCallback</c> (site). See <see cref="FederationTls"/>.
    /// </summary>
    public bool ValidateRemoteCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors sslPolicyErrors)
    {
        if (certificate is null or X509Certificate2)
            return Evaluate((X509Certificate2?)certificate).IsAccepted;
        using X509Certificate2 copy = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return Evaluate(copy).IsAccepted;
    }

    /// <summary>
    /// Kestrel's <c>HttpsConnectionAdapterOptions.ClientCertificateValidation</c> signature; use it with
    /// <c>ClientCertificateMode.RequireCertificate</c>.
    /// </summary>
    public bool ValidateCertificate(X509Certificate2? certificate, X509Chain? chain, SslPolicyErrors sslPolicyErrors) =>
        Evaluate(certificate).IsAccepted;

    /// <summary>
    /// <c>HttpClientHandler.ServerCertificateCustomValidationCallback</c>'s signature, for a site's policy
    /// (<see cref="ForCoordinatorServer"/>); with <c>SocketsHttpHandler</c> use <see cref="FederationTls.ClientOptions"/> instead.
    /// </summary>
    public bool ValidateServerCertificate(HttpRequestMessage request, X509Certificate2? certificate, X509Chain? chain, SslPolicyErrors sslPolicyErrors) =>
        Evaluate(certificate).IsAccepted;

    private PeerCertificateResult EvaluatePresented(X509Certificate2 certificate)
    {
        string name = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        string thumbprint = FederationCa.Sha256Thumbprint(certificate);
        string? reason = ChainProblem(certificate, name) ?? UsageProblem(certificate, name) ?? NameProblem(certificate, name);
        return reason is null ? PeerCertificateResult.Accept(name, thumbprint) : PeerCertificateResult.Reject(name, reason, thumbprint);
    }

    private string? ChainProblem(X509Certificate2 certificate, string name)
    {
        DateTime now = _time.GetUtcNow().UtcDateTime;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_federationCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = now;
        chain.Build(certificate);

        X509ChainElementCollection elements = chain.ChainElements;
        bool endsAtFederationCa = elements.Count >= 2 && elements[^1].Certificate.RawDataMemory.Span.SequenceEqual(_federationCa.RawDataMemory.Span);
        X509ChainStatusFlags flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, status) => all | status.Status);
        const X509ChainStatusFlags untrusted = X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.NotSignatureValid;
        if (certificate.RawDataMemory.Span.SequenceEqual(_federationCa.RawDataMemory.Span))
            return $"the certificate presented is the federation CA's own ({_federationCa.Subject}), not a {RoleWord} certificate";
        if (!endsAtFederationCa || (flags & untrusted) != 0)
            return certificate.IssuerName.RawData.AsSpan().SequenceEqual(_federationCa.SubjectName.RawData)
                ? $"certificate for '{name}' names this federation's CA ({_federationCa.Subject}) as its issuer, but its signature does not verify with that CA's key: it comes from a different CA of the same name"
                : $"certificate for '{name}' was issued by {certificate.Issuer}, not this federation's CA ({_federationCa.Subject})";
        if (now > certificate.NotAfter.ToUniversalTime())
            return $"certificate for '{name}' expired on {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC";
        if (now < certificate.NotBefore.ToUniversalTime())
            return $"certificate for '{name}' is not valid until {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC (check this machine's clock)";
        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
            return $"the federation CA ({_federationCa.Subject}) is outside its validity period ({_federationCa.NotBefore.ToUniversalTime():yyyy-MM-dd} to {_federationCa.NotAfter.ToUniversalTime():yyyy-MM-dd} UTC): the federation needs a new CA";
        if (flags != X509ChainStatusFlags.NoError)
            return $"certificate for '{name}' failed chain validation against the federation CA: {string.Join("; ", chain.ChainStatus.Select(status => status.StatusInformation.Trim()))}";
        return null;
    }

    private string? UsageProblem(X509Certificate2 certificate, string name)
    {
        if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(constraints => constraints.CertificateAuthority))
            return $"certificate for '{name}' is a CA certificate, not a {RoleWord} certificate";
        HashSet<string> usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>()
            .SelectMany(extension => extension.EnhancedKeyUsages.Cast<Oid>())
            .Select(oid => oid.Value ?? "")
            .ToHashSet(StringComparer.Ordinal);
        if (_expectedRole == FederationRole.Coordinator)
            return usages.Contains(CertificateFactory.ServerAuthOid) ? null : $"certificate for '{name}' is not a server certificate (no serverAuth extended key usage): it is not the coordinator's";
        if (!usages.Contains(CertificateFactory.ClientAuthOid))
            return $"certificate for '{name}' is not a client certificate (no clientAuth extended key usage)";
        return usages.Contains(CertificateFactory.ServerAuthOid) ? $"certificate for '{name}' is a coordinator certificate (serverAuth), not a site certificate" : null;
    }

    private string? NameProblem(X509Certificate2 certificate, string name)
    {
        (List<string> dnsNames, List<IPAddress> addresses) = SubjectAlternativeNames(certificate);
        if (_expectedRole == FederationRole.Coordinator)
        {
            string host = ExpectedHostName!;
            bool named = IPAddress.TryParse(host, out IPAddress? address)
                ? addresses.Contains(address)
                : dnsNames.Contains(host.TrimEnd('.'), StringComparer.OrdinalIgnoreCase);
            return named ? null : $"coordinator certificate for '{name}' does not name host '{host}' (it names {string.Join(", ", dnsNames.Concat(addresses.Select(a => a.ToString())))})";
        }
        if (!FederationNames.IsValidSiteName(name))
            return $"certificate CN '{name}' is not a valid site name ({FederationNames.SiteNameRule})";
        if (!dnsNames.Contains(name, StringComparer.Ordinal))
            return $"certificate for '{name}' does not carry its site name among its DNS subject alternative names";
        return _allowList!.Contains(name) ? null : $"site '{name}' is not on the allow-list ({_allowList.Source})";
    }

    private static (List<string> DnsNames, List<IPAddress> Addresses) SubjectAlternativeNames(X509Certificate2 certificate)
    {
        var dnsNames = new List<string>();
        var addresses = new List<IPAddress>();
        foreach (X509Extension extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != "2.5.29.17")
                continue;
            var names = extension as X509SubjectAlternativeNameExtension ?? new X509SubjectAlternativeNameExtension(extension.RawData, extension.Critical);
            dnsNames.AddRange(names.EnumerateDnsNames());
            addresses.AddRange(names.EnumerateIPAddresses());
        }
        return (dnsNames, addresses);
    }

    private string RoleWord => _expectedRole == FederationRole.Site ? "site" : "coordinator";
}
