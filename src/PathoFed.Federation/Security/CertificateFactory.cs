using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PathoFed.Federation.Security;

/// <summary>Builds the federation's certificates in memory; <see cref="FederationCa"/> adds the files and the checks on user input.</summary>
internal static class CertificateFactory
{
    internal const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    internal const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>
    /// Backdating notBefore absorbs clock skew between the CA machine and the hospitals: a certificate issued a minute
    /// ago must not be "not yet valid" on a site whose clock runs slightly behind.
    /// </summary>
    internal static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A self-signed CA on P-384. pathlen 0: it signs leaf certificates only, so a leaked site key can never act as an
    /// intermediate CA; keyCertSign|cRLSign: it signs nothing else (a CRL can come later with the same key).
    /// </summary>
    internal static X509Certificate2 CreateCa(string name, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest(DistinguishedName(name), key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(X509BasicConstraintsExtension.CreateForCertificateAuthority(pathLengthConstraint: 0));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        using X509Certificate2 signed = request.Create(request.SubjectName, X509SignatureGenerator.CreateForECDsa(key), notBefore, notAfter, NewSerialNumber());
        return signed.CopyWithPrivateKey(key);
    }

    /// <summary>A P-256 end-entity certificate signed by <paramref name="ca"/>, which must hold its private key.</summary>
    internal static X509Certificate2 CreateLeaf(
        X509Certificate2 ca, string name, FederationRole role, DateTimeOffset notBefore, DateTimeOffset notAfter, LeafCertificateOptions options)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(DistinguishedName(name), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(X509BasicConstraintsExtension.CreateForEndEntity(critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        // A site certificate is client-only, so a site can never pose as the coordinator to another site.
        var usages = new OidCollection { new Oid(ClientAuthOid) };
        if (role == FederationRole.Coordinator)
            usages.Add(new Oid(ServerAuthOid));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, critical: false));
        request.CertificateExtensions.Add(SubjectAlternativeNames(name, role, options));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using X509Certificate2 signed = request.Create(ca, notBefore, notAfter, NewSerialNumber());
        return signed.CopyWithPrivateKey(key);
    }

    private static X509Extension SubjectAlternativeNames(string name, FederationRole role, LeafCertificateOptions options)
    {
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        foreach (string dnsName in options.ExtraDnsNames.Where(extra => extra != name).Distinct(StringComparer.Ordinal))
            names.AddDnsName(dnsName);
        var addresses = new List<IPAddress>(options.ExtraIpAddresses);
        if (role == FederationRole.Coordinator || options.IncludeLoopback)
        {
            if (name != "localhost" && !options.ExtraDnsNames.Contains("localhost"))
                names.AddDnsName("localhost");
            addresses.Add(IPAddress.Loopback);
            addresses.Add(IPAddress.IPv6Loopback);
        }
        foreach (IPAddress address in addresses.Distinct())
            names.AddIpAddress(address);
        return names.Build(critical: false);
    }

    /// <summary>X500DistinguishedNameBuilder escapes the name, so a name with commas or '=' cannot smuggle in extra RDNs.</summary>
    private static X500DistinguishedName DistinguishedName(string commonName)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(commonName);
        return builder.Build();
    }

    /// <summary>128 random bits, positive and without a leading zero byte (RFC 5280 wants positive serials of at most 20 bytes).</summary>
    private static byte[] NewSerialNumber()
    {
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40);
        return serial;
    }
}
