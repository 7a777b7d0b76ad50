using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using PathoFed.Federation.Coordination;
using PathoFed.Federation.Plans;
using PathoFed.Federation.Security;

namespace PathoFed.Cli.Loopback;

/// <summary>
/// The files of a loopback federation under <c>WORK/federation/</c>: its CA, certificates, allow-list and plan, the
/// coordinator's and sites' state, and the processes' logs. <see cref="Prepare"/> writes the credentials with the
/// library code behind <c>fed ca init|issue</c>, reusing those of an earlier run while they are still valid.
/// </summary>
internal sealed class LoopbackFederationFolder(string workFolder)
{
    /// <summary>The coordinator's certificate name; its certificate also carries localhost and the loopback addresses.</summary>
    public const string CoordinatorName = "coordinator";

    private static readonly TimeSpan CaValidity = TimeSpan.FromDays(3650);
    private static readonly TimeSpan CertificateValidity = TimeSpan.FromDays(365);

    // A certificate that would expire within this margin is issued again rather than reused.
    private static readonly TimeSpan RenewalMargin = TimeSpan.FromDays(1);

    public string Root { get; } = Path.Combine(Path.GetFullPath(workFolder), "federation");

    public string CaFolder => Path.Combine(Root, "ca");

    public string CaCertificate => Path.Combine(CaFolder, FederationCa.CertificateFileName);

    public string CertificatesFolder => Path.Combine(Root, "certs");

    public string PlanPath => Path.Combine(Root, "plan.json");

    public string AllowListPath => Path.Combine(Root, AllowList.DefaultFileName);

    public string LogsFolder => Path.Combine(Root, "logs");

    /// <summary>The coordinator's state: checkpoints, state.json, audit.log and final-model/.</summary>
    public string CoordinatorState => Path.Combine(Root, "state");

    public string FinalModel => Path.Combine(CoordinatorState, CoordinatorEngine.FinalModelFolderName);

    public string Certificate(string name) => Path.Combine(CertificatesFolder, name + ".pfx");

    /// <summary>A site's state folder (its audit log).</summary>
    public string SiteState(string site) => Path.Combine(Root, "sites", site);

    public string Log(string name) => Path.Combine(LogsFolder, name + ".log");

    /// <summary>Writes the CA, the coordinator's and every site's certificate, the allow-list and plan.json.</summary>
    /// <exception cref="CertificateException">A CA or certificate cannot be written.</exception>
    public void Prepare(FederationPlan plan, IReadOnlyList<string> sites)
    {
        Directory.CreateDirectory(Root);
        AllowList allowList = AllowList.FromNames(sites, AllowListPath);
        using X509Certificate2 ca = EnsureCa();
        EnsureCertificate(CoordinatorName, FederationRole.Coordinator, PeerCertificatePolicy.ForCoordinatorServer(ca, "localhost"));
        PeerCertificatePolicy sitePolicy = PeerCertificatePolicy.ForSiteClients(ca, allowList);
        foreach (string site in sites) EnsureCertificate(site, FederationRole.Site, sitePolicy);
        allowList.Write(AllowListPath);
        AtomicFile.WriteAllText(PlanPath, JsonSerializer.Serialize(plan, FederationPlan.Json));
    }

    private X509Certificate2 EnsureCa()
    {
        if (File.Exists(CaCertificate) && File.Exists(Path.Combine(CaFolder, FederationCa.KeyFileName)))
        {
            try
            {
                X509Certificate2 existing = FederationCa.ReadCertificate(CaFolder);
                if (existing.NotAfter.ToUniversalTime() > DateTime.UtcNow + CertificateValidity + RenewalMargin) return existing;
                existing.Dispose();
            }
            catch (CertificateException)
            {
                // Unreadable: replaced below, like an expiring one.
            }
        }
        // A new CA invalidates every certificate the old one issued; this folder is the loopback federation's alone.
        if (Directory.Exists(CaFolder)) Directory.Delete(CaFolder, recursive: true);
        if (Directory.Exists(CertificatesFolder)) Directory.Delete(CertificatesFolder, recursive: true);
        FederationCa.Init(CaFolder, "PathoFed loopback federation CA", CaValidity);
        return FederationCa.ReadCertificate(CaFolder);
    }

    // Reused when the same policy the peers apply accepts it (this CA, role, name) and it is not about to expire.
    private void EnsureCertificate(string name, FederationRole role, PeerCertificatePolicy policy)
    {
        string path = Certificate(name);
        if (File.Exists(path))
        {
            try
            {
                using X509Certificate2 existing = CertificateFiles.ReadIdentityPfx(path);
                if (policy.Evaluate(existing) is { IsAccepted: true, PeerName: var peer } && (role == FederationRole.Coordinator || peer == name)
                    && existing.NotAfter.ToUniversalTime() > DateTime.UtcNow + RenewalMargin) return;
            }
            catch (CertificateException)
            {
                // Unreadable: issued again.
            }
        }
        FederationCa.Issue(CaFolder, name, CertificatesFolder, CertificateValidity, role);
    }
}
