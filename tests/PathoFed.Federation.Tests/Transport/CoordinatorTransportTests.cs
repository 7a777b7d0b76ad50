using System.Collections.Concurrent;
using System.Net;
using Grpc.Core;
using PathoFed.Federation.Coordination;
using PathoFed.Federation.Hosting;
using PathoFed.Federation.Tests.Security;
using PathoFed.Federation.Transport;

namespace PathoFed.Federation.Tests.Transport;

/// <summary>The coordinator's gRPC service on real Kestrel over loopback with mutual TLS, in front of a recording engine.</summary>
public sealed class CoordinatorTransportTests : IClassFixture<TestPki>
{
    private readonly TestPki _pki;

    public CoordinatorTransportTests(TestPki pki) => _pki = pki;

    private async Task<(CoordinatorHost Host, RecordingEngine Engine)> StartAsync()
    {
        var engine = new RecordingEngine();
        var endpoint = new CoordinatorEndpoint(0, IPAddress.Loopback, _pki.Coordinator, _pki.SiteClientPolicy());
        return (await CoordinatorHost.StartAsync(engine, endpoint), engine);
    }

    [Fact]
    public async Task Calls_FromAnAdmittedSite_ReachTheEngineWithTheCertificateName()
    {
        var (host, engine) = await StartAsync();
        await using (host)
        {
            using var client = new CoordinatorClient(new Uri($"https://localhost:{host.Port}"), _pki.Site, _pki.CoordinatorPolicy());
            JoinResult joined = await client.JoinAsync(new SiteHello("0.1.0", "x", "abc", 60), CancellationToken.None);
            SiteTask task = await client.NextTaskAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
            SubmitResult submitted = await client.SubmitUpdateAsync(
                new SubmittedUpdate(3, "nonce-1", [1, 2, 3], 42, new Dictionary<string, double> { ["auc"] = 0.9 }), CancellationToken.None);
            SubmitResult secure = await client.SubmitSecureAggregationAsync(new SecureAggregationEnvelope(3, 2, "nonce-1", [9, 9]), CancellationToken.None);

            Assert.Equal("test-federation", joined.Federation);
            var train = Assert.IsType<SiteTask.Train>(task);
            Assert.Equal(RecordingEngine.Weights, train.GlobalWeights);
            Assert.Equal("n-7", train.Nonce);
            Assert.Equal(RecordingEngine.Deadline, train.Deadline);
            Assert.True(submitted.Accepted);
            Assert.False(secure.Accepted);
            Assert.Equal("stage 2 is closed", secure.Reason);
            Assert.All(engine.Calls, c => Assert.Equal(TestPki.AdmittedSite, c.Site));
            SubmittedUpdate update = Assert.Single(engine.Updates);
            Assert.Equal([1, 2, 3], update.Weights);
            Assert.Equal(42, update.ExampleCount);
            Assert.Equal(0.9, update.Metrics["auc"]);
        }
    }

    [Fact]
    public async Task Join_EngineRefusal_ArrivesAsFailedPreconditionWithTheReason()
    {
        var (host, engine) = await StartAsync();
        await using (host)
        {
            engine.RefuseJoin = "features come from another extractor";
            using var client = new CoordinatorClient(new Uri($"https://localhost:{host.Port}"), _pki.Site, _pki.CoordinatorPolicy());

            var e = await Assert.ThrowsAsync<RpcException>(() => client.JoinAsync(new SiteHello("0.1.0", "x", "abc", 60), CancellationToken.None));
            Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
            Assert.Contains("another extractor", e.Status.Detail);
        }
    }

    [Theory]
    [InlineData("other-ca")]
    [InlineData("unlisted")]
    [InlineData("expired")]
    public async Task Calls_WithARefusedCertificate_NeverReachTheEngine(string which)
    {
        var (host, engine) = await StartAsync();
        await using (host)
        {
            var certificate = which switch { "other-ca" => _pki.SiteFromOtherCa, "unlisted" => _pki.UnlistedSiteCertificate, _ => _pki.ExpiredSite };
            using var client = new CoordinatorClient(new Uri($"https://localhost:{host.Port}"), certificate, _pki.CoordinatorPolicy());

            await Assert.ThrowsAsync<RpcException>(() => client.JoinAsync(new SiteHello("0.1.0", "x", "abc", 60), CancellationToken.None));
            Assert.Empty(engine.Calls);
        }
    }

    [Fact]
    public async Task Client_CoordinatorFromAnotherCa_IsRefusedBySite()
    {
        var engine = new RecordingEngine();
        var endpoint = new CoordinatorEndpoint(0, IPAddress.Loopback, _pki.CoordinatorFromOtherCa, _pki.SiteClientPolicy());
        await using CoordinatorHost host = await CoordinatorHost.StartAsync(engine, endpoint);
        using var client = new CoordinatorClient(new Uri($"https://localhost:{host.Port}"), _pki.Site, _pki.CoordinatorPolicy());

        var e = await Assert.ThrowsAsync<RpcException>(() => client.JoinAsync(new SiteHello("0.1.0", "x", "abc", 60), CancellationToken.None));
        Assert.False(CoordinatorClient.IsTransient(e), e.ToString()); // a coordinator we cannot trust is not retried
        Assert.Contains("AuthenticationException", e.Status.DebugException?.ToString());
        Assert.Empty(engine.Calls);
    }

    [Theory]
    [InlineData("coordinator.example.org:7443", "https://coordinator.example.org:7443/")]
    [InlineData("https://10.0.0.5:9000", "https://10.0.0.5:9000/")]
    public void AddressOf_HostAndPort_IsAnHttpsUri(string text, string expected) =>
        Assert.Equal(expected, CoordinatorClient.AddressOf(text).ToString());

    [Fact]
    public void AddressOf_PlainHttp_IsRefused() =>
        Assert.Contains("not a coordinator address", Assert.Throws<FederationException>(() => CoordinatorClient.AddressOf("http://x:1")).Message);

    /// <summary>Answers with fixed values and records who called what.</summary>
    private sealed class RecordingEngine : ICoordinatorEngine
    {
        public static readonly byte[] Weights = [7, 7, 7, 7];
        public static readonly DateTimeOffset Deadline = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);

        public ConcurrentQueue<(string Site, string Call)> Calls { get; } = new();
        public ConcurrentQueue<SubmittedUpdate> Updates { get; } = new();
        public string? RefuseJoin { get; set; }

        public JoinResult Join(string site, SiteHello hello)
        {
            Calls.Enqueue((site, "join"));
            return RefuseJoin is { } reason ? throw new FederationException(reason) : new JoinResult("test-federation", "{}");
        }

        public Task<SiteTask> NextTaskAsync(string site, TimeSpan wait, CancellationToken cancellationToken)
        {
            Calls.Enqueue((site, "next"));
            return Task.FromResult<SiteTask>(new SiteTask.Train(3, "n-7", Weights, "sha", "{}", Deadline));
        }

        public SubmitResult SubmitUpdate(string site, SubmittedUpdate update)
        {
            Calls.Enqueue((site, "update"));
            Updates.Enqueue(update);
            return SubmitResult.Ok;
        }

        public SubmitResult SubmitSecureAggregation(string site, SecureAggregationEnvelope message)
        {
            Calls.Enqueue((site, "secure"));
            return SubmitResult.Refused($"stage {message.Stage} is closed");
        }
    }
}
