using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using PathoFed.Federation.Security;

namespace PathoFed.Federation.Tests.Security;

/// <summary>Policy decisions that need no handshake: odd certificates, clocks and the Kestrel-shaped callback.</summary>
public sealed class PeerCertificatePolicyTests(TestPki pki) : IClassFixture<TestPki>
{
    [Fact]
    public void Evaluate_CoordinatorCertificateAsSiteClient_Refused()
    {
        PeerCertificateResult result = pki.SiteClientPolicy().Evaluate(pki.Coordinator);

        Assert.Equal($"certificate for '{TestPki.CoordinatorName}' is a coordinator certificate (serverAuth), not a site certificate", result.Reason);
    }

    [Fact]
    public void Evaluate_TheCaCertificateItself_Refused()
    {
        PeerCertificateResult result = pki.SiteClientPolicy().Evaluate(pki.Ca);

        Assert.Equal($"the certificate presented is the federation CA's own (CN={TestPki.CaName}), not a site certificate", result.Reason);
    }

    [Fact]
    public void Evaluate_CaOfTheSameNameButAnotherKey_RefusedAsImpostor()
    {
        using var folder = new TempFolder();
        FederationCa.Init(folder.Path, TestPki.CaName, TimeSpan.FromDays(30));
        IssuedCertificateFiles files = FederationCa.Issue(folder.Path, TestPki.AdmittedSite, folder.Path, TimeSpan.FromDays(7));
        using X509Certificate2 impostor = CertificateFiles.ReadIdentityPfx(files.PfxPath);

        PeerCertificateResult result = pki.SiteClientPolicy().Evaluate(impostor);

        Assert.StartsWith($"certificate for '{TestPki.AdmittedSite}' names this federation's CA (CN={TestPki.CaName}) as its issuer, but its signature does not verify", result.Reason);
    }

    [Fact]
    public void Evaluate_ClockPastTheSiteExpiry_RefusedAsExpired()
    {
        var afterExpiry = new FixedTime(pki.Site.NotAfter.ToUniversalTime().AddDays(1));

        PeerCertificateResult result = PeerCertificatePolicy.ForSiteClients(pki.Ca, pki.AllowList, afterExpiry).Evaluate(pki.Site);

        Assert.StartsWith($"certificate for '{TestPki.AdmittedSite}' expired on", result.Reason);
    }

    [Fact]
    public void Evaluate_ClockBeforeTheSiteStart_RefusedAsNotYetValid()
    {
        var beforeStart = new FixedTime(pki.Site.NotBefore.ToUniversalTime().AddDays(-1));

        PeerCertificateResult result = PeerCertificatePolicy.ForSiteClients(pki.Ca, pki.AllowList, beforeStart).Evaluate(pki.Site);

        Assert.Contains("is not valid until", result.Reason);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("LOCALHOST")]
    [InlineData("coordinator")]
    public void Evaluate_CoordinatorReachedByAnyOfItsNames_Accepted(string host)
    {
        PeerCertificateResult result = pki.CoordinatorPolicy(host).Evaluate(pki.Coordinator);

        Assert.True(result.IsAccepted, result.Reason);
        Assert.Equal(TestPki.CoordinatorName, result.PeerName);
    }

    [Fact]
    public void ValidateCertificate_KestrelShape_IgnoresPlatformChainErrorsButAppliesThePolicy()
    {
        PeerCertificatePolicy policy = pki.SiteClientPolicy();
        // The exact type of Kestrel's HttpsConnectionAdapterOptions.ClientCertificateValidation.
        Func<X509Certificate2, X509Chain?, SslPolicyErrors, bool> kestrelCallback = policy.ValidateCertificate;

        // The platform always reports chain errors for a private CA; the policy must not read them as a verdict.
        Assert.True(kestrelCallback(pki.Site, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(kestrelCallback(pki.SiteFromOtherCa, null, SslPolicyErrors.None));
    }

    [Fact]
    public void ValidateServerCertificate_HttpClientHandlerShape_AppliesTheSitePolicy()
    {
        PeerCertificatePolicy policy = pki.CoordinatorPolicy();
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = policy.ValidateServerCertificate };
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://localhost/");

        Assert.True(handler.ServerCertificateCustomValidationCallback(request, pki.Coordinator, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(handler.ServerCertificateCustomValidationCallback(request, pki.CoordinatorFromOtherCa, null, SslPolicyErrors.None));
        Assert.False(handler.ServerCertificateCustomValidationCallback(request, null, null, SslPolicyErrors.RemoteCertificateNotAvailable));
    }

    private sealed class FixedTime(DateTime utc) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(utc, TimeSpan.Zero);
    }
}
