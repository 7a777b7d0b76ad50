namespace PathoFed.Federation.Security;

/// <summary>What <see cref="FederationCa.Init"/> wrote.</summary>
/// <param name="CertificatePath"><c>ca.pem</c>: the public CA certificate, to give to every site and the coordinator.</param>
/// <param name="KeyPath"><c>ca-key.pem</c>: the CA's private key (PKCS#8 PEM, mode 0600); it never leaves the CA folder.</param>
/// <param name="Thumbprint">SHA-256 thumbprint of the CA certificate (hex), for comparing out of band.</param>
public sealed record FederationCaFiles(string CertificatePath, string KeyPath, string Thumbprint);

/// <summary>What <see cref="FederationCa.Issue"/> wrote.</summary>
/// <param name="PfxPath"><c>NAME.pfx</c>: certificate and private key (mode 0600), the peer's TLS identity.</param>
/// <param name="PemPath"><c>NAME.pem</c>: the certificate alone, public.</param>
/// <param name="Thumbprint">SHA-256 thumbprint of the certificate (hex).</param>
/// <param name="NotAfterUtc">When the certificate expires.</param>
public sealed record IssuedCertificateFiles(string PfxPath, string PemPath, string Thumbprint, DateTime NotAfterUtc);
