using System.Net;
using System.Security.Cryptography.X509Certificates;
using PathoFed.Federation.Security;

namespace PathoFed.Federation.Tests.Security;

public sealed class FederationCaTests : IDisposable
{
    private static readonly TimeSpan TwoYears = TimeSpan.FromDays(730);
    private static readonly TimeSpan Year = TimeSpan.FromDays(365);
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly TempFolder _folder = new();
    private readonly string _caFolder;

    public FederationCaTests() => _caFolder = _folder.File("ca");

    [Fact]
    public void Init_NewFolder_WritesSelfSignedCaAndOwnerOnlyKey()
    {
        FederationCaFiles files = FederationCa.Init(_caFolder, "PathoFed CA study-1", TwoYears);

        using X509Certificate2 ca = FederationCa.ReadCertificate(_caFolder);
        Assert.Equal("CN=PathoFed CA study-1", ca.Subject);
        Assert.Equal(ca.Subject, ca.Issuer);
        Assert.False(ca.HasPrivateKey);
        Assert.Equal(FederationCa.Sha256Thumbprint(ca), files.Thumbprint);
        X509BasicConstraintsExtension constraints = Assert.Single(ca.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.True(constraints.CertificateAuthority);
        Assert.True(constraints.HasPathLengthConstraint);
        Assert.Equal(0, constraints.PathLengthConstraint);
        Assert.True(constraints.Critical);
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, Assert.Single(ca.Extensions.OfType<X509KeyUsageExtension>()).KeyUsages);
        Assert.Single(ca.Extensions.OfType<X509SubjectKeyIdentifierExtension>());
        Assert.NotNull(ca.GetECDsaPublicKey());
        Assert.Equal(OwnerOnly, ModeOf(files.KeyPath));
        Assert.Equal(Path.Combine(_caFolder, FederationCa.KeyFileName), files.KeyPath);
        Assert.Empty(Directory.GetFiles(_caFolder, ".tmp-*"));
    }

    [Fact]
    public void Init_ExistingCa_RefusesAndKeepsTheOldKey()
    {
        FederationCaFiles first = FederationCa.Init(_caFolder, "CA one", TwoYears);
        byte[] keyBefore = File.ReadAllBytes(first.KeyPath);

        var error = Assert.Throws<CertificateException>(() => FederationCa.Init(_caFolder, "CA two", TwoYears));

        Assert.Contains($"A federation CA already exists in {_caFolder}", error.Message);
        Assert.Contains("refusing to overwrite", error.Message);
        Assert.Equal(keyBefore, File.ReadAllBytes(first.KeyPath));
    }

    [Fact]
    public void Issue_Site_ChainsToCaWithClientAuthOnlyAndOwnerOnlyPfx()
    {
        FederationCa.Init(_caFolder, "CA", TwoYears);
        string outFolder = _folder.File("out");

        IssuedCertificateFiles files = FederationCa.Issue(_caFolder, "hospital-a", outFolder, Year);

        Assert.Equal(Path.Combine(outFolder, "hospital-a.pfx"), files.PfxPath);
        Assert.Equal(OwnerOnly, ModeOf(files.PfxPath));
        using X509Certificate2 ca = FederationCa.ReadCertificate(_caFolder);
        using X509Certificate2 site = CertificateFiles.ReadIdentityPfx(files.PfxPath);
        using X509Certificate2 publicPem = CertificateFiles.ReadCertificatePem(files.PemPath);
        Assert.True(site.HasPrivateKey);
        Assert.Equal(site.RawData, publicPem.RawData);
        Assert.Equal("CN=hospital-a", site.Subject);
        Assert.Equal(["1.3.6.1.5.5.7.3.2"], EnhancedKeyUsages(site));
        Assert.Equal(["hospital-a"], SubjectAlternativeNames(site).EnumerateDnsNames());
        Assert.Empty(SubjectAlternativeNames(site).EnumerateIPAddresses());
        Assert.False(Assert.Single(site.Extensions.OfType<X509BasicConstraintsExtension>()).CertificateAuthority);
        Assert.Equal(
            Assert.Single(ca.Extensions.OfType<X509SubjectKeyIdentifierExtension>()).SubjectKeyIdentifierBytes.ToArray(),
            Assert.Single(site.Extensions.OfType<X509AuthorityKeyIdentifierExtension>()).KeyIdentifier!.Value.ToArray());
        Assert.True(ChainsTo(site, ca));
    }

    [Fact]
    public void Issue_Coordinator_HasServerAndClientAuthAndLoopbackNames()
    {
        FederationCa.Init(_caFolder, "CA", TwoYears);
        var options = new LeafCertificateOptions { ExtraDnsNames = ["fed.hospital-a.org"], ExtraIpAddresses = [IPAddress.Parse("10.1.2.3")] };

        IssuedCertificateFiles files = FederationCa.Issue(_caFolder, "coordinator", _folder.File("out"), Year, FederationRole.Coordinator, options);

        using X509Certificate2 coordinator = CertificateFiles.ReadIdentityPfx(files.PfxPath);
        Assert.Equal(["1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1"], EnhancedKeyUsages(coordinator));
        Assert.Equal(["coordinator", "fed.hospital-a.org", "localhost"], SubjectAlternativeNames(coordinator).EnumerateDnsNames());
        Assert.Equal(["10.1.2.3", "127.0.0.1", "::1"], SubjectAlternativeNames(coordinator).EnumerateIPAddresses().Select(address => address.ToString()));
    }

    [Fact]
    public void Issue_PfxPassword_ReadableOnlyWithIt()
    {
        FederationCa.Init(_caFolder, "CA", TwoYears);

        IssuedCertificateFiles files = FederationCa.Issue(_caFolder, "hospital-a", _folder.File("out"), Year, options: new LeafCertificateOptions { PfxPassword = "s3cret" });

        using X509Certificate2 site = CertificateFiles.ReadIdentityPfx(files.PfxPath, "s3cret");
        Assert.True(site.HasPrivateKey);
        var error = Assert.Throws<CertificateException>(() => CertificateFiles.ReadIdentityPfx(files.PfxPath, "wrong"));
        Assert.Contains(files.PfxPath, error.Message);
    }

    [Theory]
    [InlineData("Hospital-A")]
    [InlineData("hospital_a")]
    [InlineData("-hospital")]
    [InlineData("hospital-")]
    [InlineData("a.b")]
    [InlineData("")]
    [InlineData("coordinator")]
    public void Issue_InvalidSiteName_Refused(string name)
    {
        FederationCa.Init(_caFolder, "CA", TwoYears);

        var error = Assert.Throws<CertificateException>(() => FederationCa.Issue(_caFolder, name, _folder.File("out"), Year));

        Assert.Contains($"'{name}' is not a valid site name", error.Message);
        Assert.False(Directory.Exists(_folder.File("out")));
    }

    [Fact]
    public void Issue_SixtyFourCharacterName_Refused()
    {
        FederationCa.Init(_caFolder, "CA", TwoYears);

        Assert.Throws<CertificateException>(() => FederationCa.Issue(_caFolder, new string('a', 64), _folder.File("out"), Year));
        Assert.NotNull(FederationCa.Issue(_caFolder, new string('a', 63), _folder.File("out"), Year));
    }

    [Fact]
    public void Issue_ValidityBeyondTheCa_RefusedNamingTheCaExpiry()
    {
        FederationCa.Init(_caFolder, "CA", Year);

        var error = Assert.Throws<CertificateException>(() => FederationCa.Issue(_caFolder, "hospital-a", _folder.File("out"), TwoYears));

        Assert.Contains($"the federation CA in {_caFolder} expires on", error.Message);
    }

    [Fact]
    public void Issue_FolderWithoutCa_RefusedNamingTheKey()
    {
        var error = Assert.Throws<CertificateException>(() => FederationCa.Issue(_caFolder, "hospital-a", _folder.File("out"), Year));

        Assert.Contains(Path.Combine(_caFolder, FederationCa.KeyFileName), error.Message);
    }

    [Fact]
    public void Init_KeyPassword_IssueNeedsIt()
    {
        FederationCa.Init(_caFolder, "CA", TwoYears, keyPassword: "ca-pass");

        Assert.Throws<CertificateException>(() => FederationCa.Issue(_caFolder, "hospital-a", _folder.File("out"), Year));
        IssuedCertificateFiles files = FederationCa.Issue(_caFolder, "hospital-a", _folder.File("out"), Year, options: new LeafCertificateOptions { CaKeyPassword = "ca-pass" });
        Assert.True(File.Exists(files.PfxPath));
    }

    // Windows has no Unix modes; the project's machines are Linux, where the mode is the whole point.
    private static UnixFileMode ModeOf(string path) => OperatingSystem.IsWindows() ? OwnerOnly : File.GetUnixFileMode(path);

    private static string[] EnhancedKeyUsages(X509Certificate2 certificate) =>
        [.. Assert.Single(certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>()).EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(oid => oid.Value!)];

    private static X509SubjectAlternativeNameExtension SubjectAlternativeNames(X509Certificate2 certificate) =>
        Assert.Single(certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>());

    private static bool ChainsTo(X509Certificate2 leaf, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }

    public void Dispose() => _folder.Dispose();
}
