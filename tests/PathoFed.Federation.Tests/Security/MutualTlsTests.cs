using System.Collections.Concurrent;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using PathoFed.Federation.Security;

namespace PathoFed.Federation.Tests.Security;

/// <summary>Real mutual-TLS handshakes over loopback, each end judging the other with <see cref="PeerCertificatePolicy"/>.</summary>
public sealed class MutualTlsTests(TestPki pki) : IClassFixture<TestPki>
{
    [Fact]
    public async Task Handshake_AdmittedSite_BothSidesAcceptAndNameEachOther()
    {
        Session session = await ConnectAsync(pki.Site);

        Assert.True(session.Outcome.BothSucceeded, session.ToString());
        PeerCertificateResult server = Assert.Single(session.ServerDecisions);
        Assert.True(server.IsAccepted);
        Assert.Equal(TestPki.AdmittedSite, server.PeerName);
        Assert.Equal(FederationCa.Sha256Thumbprint(pki.Site), server.Thumbprint);
        Assert.Equal(TestPki.CoordinatorName, Assert.Single(session.ClientDecisions).PeerName);
    }

    [Fact]
    public async Task Handshake_SiteFromOtherCa_RefusedNamingTheIssuer()
    {
        Session session = await ConnectAsync(pki.SiteFromOtherCa);

        AssertServerRefused(session, $"certificate for '{TestPki.AdmittedSite}' was issued by CN={TestPki.OtherCaName}, not this federation's CA (CN={TestPki.CaName})");
    }

    [Fact]
    public async Task Handshake_ExpiredSite_RefusedWithExpiryDate()
    {
        Session session = await ConnectAsync(pki.ExpiredSite);

        AssertServerRefused(session, $"certificate for '{TestPki.AdmittedSite}' expired on {pki.ExpiredSite.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC");
    }

    [Fact]
    public async Task Handshake_SiteNotOnAllowList_Refused()
    {
        Session session = await ConnectAsync(pki.UnlistedSiteCertificate);

        AssertServerRefused(session, $"site '{TestPki.UnlistedSite}' is not on the allow-list (sites.txt)");
    }

    [Fact]
    public async Task Handshake_NoClientCertificate_Refused()
    {
        Session session = await ConnectAsync(siteCertificate: null);

        AssertServerRefused(session, "no client certificate was presented");
    }

    [Fact]
    public async Task Handshake_CoordinatorFromOtherCa_SiteRefuses()
    {
        Session session = await ConnectAsync(pki.Site, coordinatorCertificate: pki.CoordinatorFromOtherCa);

        AssertClientRefused(session, $"certificate for '{TestPki.CoordinatorName}' was issued by CN={TestPki.OtherCaName}, not this federation's CA");
    }

    [Fact]
    public async Task Handshake_CoordinatorWithoutExpectedHostName_SiteRefuses()
    {
        Session session = await ConnectAsync(pki.Site, expectedHost: "fed.hospital-z.org");

        AssertClientRefused(session, $"coordinator certificate for '{TestPki.CoordinatorName}' does not name host 'fed.hospital-z.org' (it names coordinator, localhost, 127.0.0.1, ::1)");
    }

    [Fact]
    public async Task Handshake_SiteCertificatePosingAsCoordinator_SiteRefuses()
    {
        Session session = await ConnectAsync(pki.Site, coordinatorCertificate: pki.UnlistedSiteCertificate, expectedHost: TestPki.UnlistedSite);

        AssertClientRefused(session, $"certificate for '{TestPki.UnlistedSite}' is not a server certificate (no serverAuth extended key usage)");
    }

    private static void AssertServerRefused(Session session, string expectedReason)
    {
        Assert.IsType<AuthenticationException>(session.Outcome.ServerError);
        Assert.NotNull(session.Outcome.ClientError);
        PeerCertificateResult decision = Assert.Single(session.ServerDecisions);
        Assert.False(decision.IsAccepted);
        Assert.StartsWith(expectedReason, decision.Reason);
    }

    private static void AssertClientRefused(Session session, string expectedReason)
    {
        Assert.IsType<AuthenticationException>(session.Outcome.ClientError);
        Assert.NotNull(session.Outcome.ServerError);
        // The coordinator may or may not have judged the (valid) site certificate before the site hung up.
        Assert.All(session.ServerDecisions, decision => Assert.True(decision.IsAccepted));
        PeerCertificateResult decision = Assert.Single(session.ClientDecisions);
        Assert.False(decision.IsAccepted);
        Assert.StartsWith(expectedReason, decision.Reason);
    }

    private async Task<Session> ConnectAsync(X509Certificate2? siteCertificate, X509Certificate2? coordinatorCertificate = null, string expectedHost = "localhost")
    {
        PeerCertificatePolicy siteClientPolicy = pki.SiteClientPolicy();
        PeerCertificatePolicy coordinatorPolicy = pki.CoordinatorPolicy(expectedHost);
        var serverDecisions = new ConcurrentQueue<PeerCertificateResult>();
        var clientDecisions = new ConcurrentQueue<PeerCertificateResult>();
        siteClientPolicy.Decided += (_, result) => serverDecisions.Enqueue(result);
        coordinatorPolicy.Decided += (_, result) => clientDecisions.Enqueue(result);

        HandshakeOutcome outcome = await LoopbackTls.ConnectAsync(
            FederationTls.ServerOptions(coordinatorCertificate ?? pki.Coordinator, siteClientPolicy),
            FederationTls.ClientOptions(siteCertificate, coordinatorPolicy));
        return new Session(outcome, [.. serverDecisions], [.. clientDecisions]);
    }

    private sealed record Session(HandshakeOutcome Outcome, IReadOnlyList<PeerCertificateResult> ServerDecisions, IReadOnlyList<PeerCertificateResult> ClientDecisions)
    {
        public override string ToString() =>
            $"server: {Outcome.ServerError?.Message ?? "ok"}; client: {Outcome.ClientError?.Message ?? "ok"}; decisions: {string.Join(" | ", ServerDecisions.Concat(ClientDecisions))}";
    }
}
