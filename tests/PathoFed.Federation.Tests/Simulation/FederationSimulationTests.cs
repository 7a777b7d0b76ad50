using System.Text;
using System.Text.Json;
using PathoFed.Federation.Audit;
using PathoFed.Federation.Coordination;
using PathoFed.Federation.Simulation;
using PathoFed.Federation.Sites;
using PathoFed.Federation.Tests.Coordination;
using PathoFed.Mil.Data;
using PathoFed.Mil.Experiments;
using PathoFed.Mil.Tests;
using Xunit.Abstractions;

namespace PathoFed.Federation.Tests.Simulation;

public sealed class FederationSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Simulate_ThreeSitesWithLabelSkew_FederatedLearnsAndNearlyMatchesPooled()
    {
        using var temp = new TempFolder();
        var dataset = FederationFixtures.Dataset(MilTestData.Examples(MilTestData.WitnessClassification(120, FederationFixtures.Dim, witnessFraction: 0.15, seed: 5)));
        var options = new SimulationOptions
        {
            Sites = 3,
            Partition = PartitionKind.Dirichlet,
            Alpha = 0.5,
            Rounds = 20,
            LocalEpochs = 1,
            EncoderDim = 32,
            AttentionDim = 16,
            LearningRate = 2e-3f,
            Seed = 3,
        };

        var result = await FederationSimulation.RunAsync(dataset, options, temp.Path);

        var pooled = result.Pooled[MilMetrics.Auc];
        var federated = result.Federated[MilMetrics.Auc];
        output.WriteLine($"test AUC: pooled {pooled:F3}, local-only mean {result.LocalOnlyMean[MilMetrics.Auc]:F3}, federated {federated:F3}");
        foreach (var site in result.Sites) output.WriteLine($"{site.Site}: {site.Patients} patients, labels {string.Join(", ", site.Labels.Select(l => $"{l.Key} {l.Value}"))}");
        Assert.True(federated >= 0.85, $"federated test AUC {federated:F3}");
        Assert.True(federated >= pooled - 0.05, $"federated {federated:F3} vs pooled {pooled:F3}");
        Assert.Equal(options.Rounds, result.Rounds.Count);
        Assert.True(result.MeanBytesToSitePerRound > 0 && result.MeanBytesFromSitePerRound > 0);
        Assert.True(File.Exists(Path.Combine(temp.Path, SimulationResult.FileName)));
        // Label skew: the sites' class mixes differ.
        Assert.True(result.Sites.Select(s => (double)s.Labels.GetValueOrDefault("MSI") / s.Labels.Values.Sum()).Distinct().Count() > 1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Simulate_EverythingASiteSends_HoldsNoEmbeddingOrLabelAndStateHoldsOnlyModels(bool secureAggregation)
    {
        using var temp = new TempFolder();
        MilDataset[] sites = [FederationFixtures.Site("north", 10, seed: 21), FederationFixtures.Site("south", 10, seed: 22)];
        var plan = FederationFixtures.Plan(rounds: 2, minSites: 2, secure: secureAggregation) with
        {
            DifferentialPrivacy = new Plans.DifferentialPrivacyPlan { ClipNorm = 1, NoiseMultiplier = 0.5 },
            MaxUpdateNorm = 1000,
        };
        var sent = new List<(string Site, byte[] Payload)>();
        var stateFolder = Path.Combine(temp.Path, "coordinator");

        var (_, history) = await FederationSimulation.RunFederationAsync(plan, sites, stateFolder, temp.Path, null, CancellationToken.None,
            (name, channel) => new RecordingChannel(channel, payload => { lock (sent) sent.Add((name, payload)); }));

        Assert.Equal(2, history.Count);
        Assert.NotNull(history[^1].Privacy);
        Assert.True(history[^1].Privacy!.Epsilon > history[0].Privacy!.Epsilon);
        Assert.NotEmpty(sent);
        for (var s = 0; s < sites.Length; s++)
        {
            var site = FederationSimulation.SiteName(s);
            var payloads = sent.Where(p => p.Site == site).Select(p => p.Payload).ToArray();
            foreach (var example in sites[s].Examples)
            {
                // Pairs of neighbouring embedding values as float32 bytes, from every 7th position: any leaked row would hold them. Pairs,
                // because single 4-byte values of two N(0, 1)-like float sets collide by chance (their exponent bytes are few).
                var values = example.Bag.Instances;
                for (var i = 0; i + 1 < values.Length; i += 7)
                {
                    var pattern = CoordinatorEngineTests.Float32Bytes(values[i]).Concat(CoordinatorEngineTests.Float32Bytes(values[i + 1])).ToArray();
                    Assert.DoesNotContain(payloads, p => p.AsSpan().IndexOf(pattern) >= 0);
                }

                // The check would see a leak: the bag's own float32 bytes hold the last pattern.
                var leak = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan());
                Assert.True(leak.IndexOf(CoordinatorEngineTests.Float32Bytes(values[^2]).Concat(CoordinatorEngineTests.Float32Bytes(values[^1])).ToArray()) >= 0);

                Assert.DoesNotContain(payloads, p => p.AsSpan().IndexOf(Encoding.UTF8.GetBytes(example.PatientId)) >= 0);
                Assert.DoesNotContain(payloads, p => p.AsSpan().IndexOf(Encoding.UTF8.GetBytes(example.SlideId)) >= 0);
            }

            // As JSON strings: the bare letters turn up by chance in the base64 of masked vectors (random ring values).
            Assert.DoesNotContain(payloads, p => p.AsSpan().IndexOf("\"MSI\""u8) >= 0 || p.AsSpan().IndexOf("\"MSS\""u8) >= 0);
        }

        var files = Directory.EnumerateFiles(stateFolder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(stateFolder, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray();
        string[] expected =
        [
            "audit.log", "audit.log.lock",
            "checkpoints/round-0001/config.json", "checkpoints/round-0001/weights.safetensors",
            "checkpoints/round-0002/config.json", "checkpoints/round-0002/weights.safetensors",
            "final-model/config.json", "final-model/weights.safetensors",
            "state.json",
        ];
        Assert.Equal(expected, files);
        var verification = AuditVerifier.Verify(Path.Combine(stateFolder, CoordinatorEngine.AuditFileName));
        Assert.True(verification.IsValid, verification.Reason);
        foreach (var site in new[] { "site-1", "site-2" })
        {
            var siteLog = Path.Combine(temp.Path, "sites", site, CoordinatorEngine.AuditFileName);
            Assert.True(AuditVerifier.Verify(siteLog).IsValid);
            var events = CoordinatorEngineTests.AuditEvents(siteLog);
            Assert.Contains("joined", events);
            Assert.Contains("model_received", events);
            Assert.Contains(secureAggregation ? "secure_aggregation_sent" : "update_sent", events);
            Assert.Equal("finished", events[^1]);
        }

        using var state = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(stateFolder, "state.json")));
        Assert.Equal(2, state.RootElement.GetProperty("lastFinishedRound").GetInt32());
    }

    [Fact]
    public void Partition_Dirichlet_KeepsPatientsTogetherAndGivesEverySiteTwo()
    {
        var examples = MilTestData.Examples(MilTestData.WitnessClassification(40, 4, 0.1, seed: 1));
        // Two slides per patient for half the patients.
        examples = [.. examples.Select((e, i) => e with { PatientId = $"p{i / 2 * (i % 4 < 2 ? 1 : 0) + i * (i % 4 < 2 ? 0 : 1)}" })];

        var parts = PatientPartition.Split(examples, MilTask.Classify, 4, PartitionKind.Dirichlet, alpha: 0.1, seed: 2);

        Assert.Equal(examples.Count, parts.Sum(p => p.Count));
        Assert.All(parts, p => Assert.True(p.Select(e => e.PatientId).Distinct().Count() >= PatientPartition.MinPatientsPerSite));
        var owner = parts.SelectMany((p, s) => p.Select(e => (e.PatientId, s))).GroupBy(x => x.PatientId);
        Assert.All(owner, g => Assert.Single(g.Select(x => x.s).Distinct()));
    }

    /// <summary>Passes every call through and hands each byte payload a site sends to <c>record</c>.</summary>
    private sealed class RecordingChannel(ISiteChannel inner, Action<byte[]> record) : ISiteChannel
    {
        public Task<JoinResult> JoinAsync(SiteHello hello, CancellationToken cancellationToken)
        {
            record(JsonSerializer.SerializeToUtf8Bytes(hello));
            return inner.JoinAsync(hello, cancellationToken);
        }

        public Task<SiteTask> NextTaskAsync(TimeSpan wait, CancellationToken cancellationToken) => inner.NextTaskAsync(wait, cancellationToken);

        public Task<SubmitResult> SubmitUpdateAsync(SubmittedUpdate update, CancellationToken cancellationToken)
        {
            record(update.Weights);
            record(JsonSerializer.SerializeToUtf8Bytes(update.Metrics));
            return inner.SubmitUpdateAsync(update, cancellationToken);
        }

        public Task<SubmitResult> SubmitSecureAggregationAsync(SecureAggregationEnvelope message, CancellationToken cancellationToken)
        {
            record(message.Payload);
            return inner.SubmitSecureAggregationAsync(message, cancellationToken);
        }
    }
}
