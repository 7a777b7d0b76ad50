using System.Security.Cryptography.X509Certificates;
using PathoFed.Federation.Security;

namespace PathoFed.Federation.Tests.Security;

/// <summary>One federation CA with a coordinator and sites, and a foreign CA with look-alikes, issued once per test class through the public file API.</summary>
public sealed class TestPki : IDisposable
{
    public const string CaName = "PathoFed Test CA";
    public const string OtherCaName = "Other CA";
    public const string CoordinatorName = "coordinator";
    public const string AdmittedSite = "hospital-a";
    public const string UnlistedSite = "hospital-b";
    private static readonly TimeSpan Year = TimeSpan.FromDays(365);

    private readonly TempFolder _folder = new();

    public TestPki()
    {
        CaFolder = Path.Combine(_folder.Path, "ca");
        FederationCa.Init(CaFolder, CaName, 2 * Year);
        Ca = FederationCa.ReadCertificate(CaFolder);
        Coordinator = IssueAndRead(CaFolder, CoordinatorName, FederationRole.Coordinator);
        Site = IssueAndRead(CaFolder, AdmittedSite, FederationRole.Site);
        UnlistedSiteCertificate = IssueAndRead(CaFolder, UnlistedSite, FederationRole.Site);

        string otherCaFolder = Path.Combine(_folder.Path, "other-ca");
        FederationCa.Init(otherCaFolder, OtherCaName, 2 * Year);
        SiteFromOtherCa = IssueAndRead(otherCaFolder, AdmittedSite, FederationRole.Site);
        CoordinatorFromOtherCa = IssueAndRead(otherCaFolder, CoordinatorName, FederationRole.Coordinator);

        // Init backdates the CA by a few minutes, so a leaf ending one minute after the CA began has already expired.
        using X509Certificate2 caWithKey = FederationCa.LoadWithKey(CaFolder, keyPassword: null);
        var caStart = new DateTimeOffset(caWithKey.NotBefore.ToUniversalTime());
        ExpiredSite = CertificateFactory.CreateLeaf(caWithKey, AdmittedSite, FederationRole.Site, caStart, caStart.AddMinutes(1), new LeafCertificateOptions());
        AllowList = AllowList.FromNames([AdmittedSite], "sites.txt");
    }

    public string CaFolder { get; }
    public X509Certificate2 Ca { get; }
    public X509Certificate2 Coordinator { get; }
    public X509Certificate2 Site { get; }
    public X509Certificate2 UnlistedSiteCertificate { get; }
    public X509Certificate2 SiteFromOtherCa { get; }
    public X509Certificate2 CoordinatorFromOtherCa { get; }
    public X509Certificate2 ExpiredSite { get; }
    public AllowList AllowList { get; }

    public PeerCertificatePolicy SiteClientPolicy() => PeerCertificatePolicy.ForSiteClients(Ca, AllowList);

    public PeerCertificatePolicy CoordinatorPolicy(string host = "localhost") => PeerCertificatePolicy.ForCoordinatorServer(Ca, host);

    private X509Certificate2 IssueAndRead(string caFolder, string name, FederationRole role)
    {
        IssuedCertificateFiles files = FederationCa.Issue(caFolder, name, Path.Combine(caFolder, "issued"), Year, role);
        return CertificateFiles.ReadIdentityPfx(files.PfxPath);
    }

    public void Dispose()
    {
        foreach (X509Certificate2 certificate in new[] { Ca, Coordinator, Site, UnlistedSiteCertificate, SiteFromOtherCa, CoordinatorFromOtherCa, ExpiredSite })
            certificate.Dispose();
        _folder.Dispose();
    }
}
