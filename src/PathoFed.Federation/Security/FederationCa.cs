using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PathoFed.Federation.Security;

/// <summary>
/// The federation's own certificate authority: one self-signed CA per federation, whose certificate every site and the
/// coordinator trust instead of the system's CAs. <c>pathofed fed ca init</c> and <c>pathofed fed ca issue</c> call this.
/// </summary>
public static class FederationCa
{
    /// <summary>The public CA certificate's file name in a CA folder.</summary>
    public const string CertificateFileName = "ca.pem";

    /// <summary>The CA private key's file name in a CA folder (PKCS#8 PEM, encrypted when a password was given, mode 0600).</summary>
    public const string KeyFileName = "ca-key.pem";

    // PBKDF2 iterations for an encrypted CA key: OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
    private const int KeyPasswordIterations = 600_000;

    /// <summary>Creates a new federation CA in <paramref name="folder"/> (created with mode 0700 when missing).</summary>
    /// <param name="folder">The CA folder; it must not already hold a CA.</param>
    /// <param name="name">The CA's common name, e.g. "PathoFed CA lung-study-2026".</param>
    /// <param name="validity">How long the CA is valid; every certificate it issues expires before it does.</param>
    /// <param name="keyPassword">Encrypts the CA key (PBES2, AES-256, PBKDF2-SHA256) when given.</param>
    /// <exception cref="CertificateException">The folder already holds a CA certificate or key.</exception>
    public static FederationCaFiles Init(string folder, string name, TimeSpan validity, string? keyPassword = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(validity, TimeSpan.Zero);
        string certificatePath = Path.Combine(folder, CertificateFileName);
        string keyPath = Path.Combine(folder, KeyFileName);
        foreach (string existing in new[] { certificatePath, keyPath }.Where(File.Exists))
            throw new CertificateException($"A federation CA already exists in {folder} ({existing}): refusing to overwrite it, since every certificate it issued would stop being trusted. Use another folder, or delete it on purpose first.");

        CreateFolder(folder);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 ca = CertificateFactory.CreateCa(name, now - CertificateFactory.ClockSkewAllowance, now + validity);
        using ECDsa key = ca.GetECDsaPrivateKey()!;
        string keyPem = keyPassword is null
            ? key.ExportPkcs8PrivateKeyPem()
            : key.ExportEncryptedPkcs8PrivateKeyPem(keyPassword, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, KeyPasswordIterations));
        // The key first, the certificate last: a folder with ca.pem is a complete CA.
        CertificateFiles.WriteSecret(keyPath, System.Text.Encoding.ASCII.GetBytes(keyPem));
        CertificateFiles.WritePublic(certificatePath, ca.ExportCertificatePem());
        return new FederationCaFiles(certificatePath, keyPath, Sha256Thumbprint(ca));
    }

    /// <summary>Issues a certificate for a site or the coordinator and writes <c>NAME.pfx</c> (certificate and key, mode 0600) and <c>NAME.pem</c> (certificate) to <paramref name="outFolder"/>.</summary>
    /// <param name="caFolder">A folder written by <see cref="Init"/>.</param>
    /// <param name="name">A site name (<see cref="FederationNames.SiteNameRule"/>) for <see cref="FederationRole.Site"/>, a lowercase host name for the coordinator. It becomes the CN and the first DNS subject alternative name.</param>
    /// <param name="outFolder">Where the files go (created with mode 0700 when missing); existing files of that name are replaced.</param>
    /// <param name="validity">How long the certificate is valid; it must end before the CA does.</param>
    /// <param name="role">Decides the extended key usages: clientAuth for sites, serverAuth and clientAuth for the coordinator.</param>
    /// <param name="options">Extra names, passwords; <c>null</c> for none.</param>
    /// <exception cref="CertificateException">The name is invalid, the CA cannot be read, or the validity outlasts the CA.</exception>
    public static IssuedCertificateFiles Issue(
        string caFolder, string name, string outFolder, TimeSpan validity, FederationRole role = FederationRole.Site, LeafCertificateOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(caFolder);
        ArgumentException.ThrowIfNullOrWhiteSpace(outFolder);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(validity, TimeSpan.Zero);
        options ??= new LeafCertificateOptions();
        ValidateNames(name, role, options);

        using X509Certificate2 ca = LoadWithKey(caFolder, options.CaKeyPassword);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        DateTimeOffset notAfter = now + validity;
        var caNotAfter = new DateTimeOffset(ca.NotAfter.ToUniversalTime());
        if (notAfter > caNotAfter)
            throw new CertificateException($"Cannot issue a certificate for '{name}' valid until {notAfter:yyyy-MM-dd} UTC: the federation CA in {caFolder} expires on {caNotAfter:yyyy-MM-dd HH:mm} UTC. Ask for at most {Math.Floor((caNotAfter - now).TotalDays):0} days, or create a new CA.");
        DateTimeOffset notBefore = Max(now - CertificateFactory.ClockSkewAllowance, new DateTimeOffset(ca.NotBefore.ToUniversalTime()));

        using X509Certificate2 leaf = CertificateFactory.CreateLeaf(ca, name, role, notBefore, notAfter, options);
        CreateFolder(outFolder);
        string pfxPath = Path.Combine(outFolder, name + ".pfx");
        string pemPath = Path.Combine(outFolder, name + ".pem");
        CertificateFiles.WriteSecret(pfxPath, leaf.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, options.PfxPassword));
        CertificateFiles.WritePublic(pemPath, leaf.ExportCertificatePem());
        return new IssuedCertificateFiles(pfxPath, pemPath, Sha256Thumbprint(leaf), leaf.NotAfter.ToUniversalTime());
    }

    /// <summary>Reads the public CA certificate (<c>ca.pem</c>) of a CA folder.</summary>
    /// <exception cref="CertificateException">The folder holds no readable CA certificate.</exception>
    public static X509Certificate2 ReadCertificate(string caFolder) =>
        CertificateFiles.ReadCertificatePem(Path.Combine(caFolder, CertificateFileName));

    /// <summary>Hex SHA-256 thumbprint, the form to compare a CA certificate over the phone.</summary>
    public static string Sha256Thumbprint(X509Certificate2 certificate) =>
        Convert.ToHexStringLower(certificate.GetCertHash(HashAlgorithmName.SHA256));

    internal static X509Certificate2 LoadWithKey(string caFolder, string? keyPassword)
    {
        string certificatePath = Path.Combine(caFolder, CertificateFileName);
        string keyPath = Path.Combine(caFolder, KeyFileName);
        if (!File.Exists(keyPath))
            throw new CertificateException($"The CA key {keyPath} does not exist: issue certificates on the machine that ran 'pathofed fed ca init'.");
        X509Certificate2 ca = CertificateFiles.Wrap(certificatePath, "a CA certificate with its key " + keyPath, () => keyPassword is null
            ? X509Certificate2.CreateFromPemFile(certificatePath, keyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(certificatePath, keyPassword, keyPath));
        if (ca.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
        {
            ca.Dispose();
            throw new CertificateException($"{certificatePath} is not a CA certificate (no BasicConstraints CA:true): it was not written by 'pathofed fed ca init'.");
        }
        return ca;
    }

    private static void ValidateNames(string name, FederationRole role, LeafCertificateOptions options)
    {
        if (!FederationNames.IsValidName(name, role))
        {
            string rule = role == FederationRole.Site ? FederationNames.SiteNameRule : "a lowercase DNS host name (dot-separated labels of 1-63 lowercase letters, digits and '-')";
            throw new CertificateException($"'{name}' is not a valid {(role == FederationRole.Site ? "site" : "coordinator host")} name: use {rule}.");
        }
        foreach (string dnsName in options.ExtraDnsNames.Where(dnsName => !FederationNames.IsValidHostName(dnsName)))
            throw new CertificateException($"Extra DNS name '{dnsName}' for '{name}' is not a lowercase DNS host name.");
    }

    private static void CreateFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(folder);
        else
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
