using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PathoFed.Federation.Security;

/// <summary>Reads the certificate files <see cref="FederationCa"/> writes; every failure names the file.</summary>
public static class CertificateFiles
{
    /// <summary>Owner read/write only: the mode of every file that holds a private key.</summary>
    internal const UnixFileMode SecretFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Reads a PEM certificate without its key, such as the federation's <c>ca.pem</c> every site holds.</summary>
    /// <exception cref="CertificateException">The file is missing or holds no PEM certificate.</exception>
    public static X509Certificate2 ReadCertificatePem(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Wrap(path, "a PEM certificate", () => X509Certificate2.CreateFromPem(File.ReadAllText(path)));
    }

    /// <summary>Reads a PKCS#12 file (<c>NAME.pfx</c>) holding a certificate and its private key: a site's or the coordinator's TLS identity.</summary>
    /// <exception cref="CertificateException">The file is missing, the password is wrong, or it holds no private key.</exception>
    public static X509Certificate2 ReadIdentityPfx(string path, string? password = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        X509Certificate2 certificate = Wrap(path, "a PKCS#12 certificate and key", () => X509CertificateLoader.LoadPkcs12FromFile(path, password));
        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new CertificateException($"Certificate file {path} holds no private key: a TLS identity needs the .pfx that 'pathofed fed ca issue' wrote.");
        }
        return certificate;
    }

    /// <summary>Writes a file only its owner can read, atomically: the temporary file is created with mode 0600, so no other user can open it before the key arrives.</summary>
    internal static void WriteSecret(string path, ReadOnlySpan<byte> content)
    {
        byte[] bytes = content.ToArray();
        try
        {
            AtomicFile.Write(path, stream => stream.Write(bytes), SecretFileMode);
            // The create mode passes through the umask; set the exact mode, which operators and tests check for.
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(path, SecretFileMode);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>Writes a public file (a certificate) atomically.</summary>
    internal static void WritePublic(string path, string content) => AtomicFile.WriteAllText(path, content);

    internal static T Wrap<T>(string path, string what, Func<T> read)
    {
        if (!File.Exists(path))
            throw new CertificateException($"Certificate file {path} does not exist.");
        try
        {
            return read();
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new CertificateException($"Certificate file {path} could not be read as {what}: {e.Message}", e);
        }
    }
}
