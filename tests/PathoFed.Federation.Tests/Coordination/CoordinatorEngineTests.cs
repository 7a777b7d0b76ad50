using System.Buffers.Binary;
using System.Text.Json;
using PathoFed.Federation.Audit;
using PathoFed.Federation.Coordination;
using PathoFed.Federation.Privacy;
using PathoFed.Federation.SecureAggregation;
using PathoFed.Federation.Security;
using PathoFed.Federation.Strategies;
using PathoFed.Mil.Data;
using PathoFed.Mil.Models;

namespace PathoFed.Federation.Tests.Coordination;

public sealed class CoordinatorEngineTests
{
    private static readonly string[] Sites = ["site-a", "site-b", "site-c"];

    [Fact]
    public void Join_SiteNotOnAllowList_RefusedNamingSite()
    {
        using var temp = new TempFolder();
        using var engine = FederationFixtures.Engine(FederationFixtures.Plan(), temp.Path, Sites);

        var error = Assert.Throws<FederationException>(() => engine.Join("site-x", FederationFixtures.Hello));

        Assert.Contains("'site-x'", error.Message);
        Assert.Contains("allow-list", error.Message);
    }

    [Fact]
    public void Join_FeaturesFromAnotherExtractor_RefusedNamingSiteAndExtractors()
    {
        using var temp = new TempFolder();
        using var engine = FederationFixtures.Engine(FederationFixtures.Plan(), temp.Path, Sites);

        var error = Assert.Throws<FederationException>(() => engine.Join("site-a", FederationFixtures.Hello with { ExtractorSha256 = "ffff", EmbeddingDim = 32 }));

        Assert.Contains("'site-a'", error.Message);
        Assert.Contains(FederationFixtures.ExtractorId, error.Message);
    }

    [Fact]
    public async Task NextTask_FewerSitesThanQuorum_WaitsThenTrainsOnceQuorumJoins()
    {
        using var temp = new TempFolder();
        using var engine = FederationFixtures.Engine(FederationFixtures.Plan(minSites: 2), temp.Path, Sites);
        engine.Join("site-a", FederationFixtures.Hello);

        var waiting = await engine.NextTaskAsync("site-a", TimeSpan.FromMilliseconds(50), CancellationToken.None);
        var pending = engine.NextTaskAsync("site-a", TimeSpan.FromSeconds(30), CancellationToken.None);
        engine.Join("site-b", FederationFixtures.Hello);
        var woken = await pending.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.IsType<SiteTask.Wait>(waiting);
        var train = Assert.IsType<SiteTask.Train>(woken);
        Assert.Equal(1, train.Round);
        Assert.Equal(train.GlobalSha256, ModelBytes.Sha256(train.GlobalWeights));
        Assert.Contains("\"localEpochs\":1", train.ConfigJson);
    }

    [Fact]
    public async Task Submit_BadUpdates_RefusedWithReasons()
    {
        using var temp = new TempFolder();
        using var engine = FederationFixtures.Engine(FederationFixtures.Plan(minSites: 3), temp.Path, Sites);
        foreach (var site in Sites) engine.Join(site, FederationFixtures.Hello);
        var a = await TrainTask(engine, "site-a");
        var b = await TrainTask(engine, "site-b");
        var global = ModelBytes.Deserialize(a.GlobalWeights, "global");

        var wrongNonce = engine.SubmitUpdate("site-a", Update(a, global) with { Nonce = b.Nonce });
        var nan = engine.SubmitUpdate("site-a", Update(a, WithValue(global, float.NaN)));
        var tooFar = engine.SubmitUpdate("site-a", Update(a, WithValue(global, 1e6f)));
        var blob = engine.SubmitUpdate("site-a", Update(a, global) with { Weights = new byte[3 * a.GlobalWeights.Length + 100_000] });
        var garbage = engine.SubmitUpdate("site-a", Update(a, global) with { Weights = [1, 2, 3, 4, 5, 6, 7, 8, 9] });
        var wrongRound = engine.SubmitUpdate("site-a", Update(a, global) with { Round = 2 });
        var accepted = engine.SubmitUpdate("site-a", Update(a, global));
        var replayed = engine.SubmitUpdate("site-a", Update(a, global));

        Assert.Contains("nonce", wrongNonce.Reason);
        Assert.Contains("NaN", nan.Reason);
        Assert.Contains("L2 norm", tooFar.Reason);
        Assert.Contains("bytes", blob.Reason);
        Assert.Contains("safetensors", garbage.Reason);
        Assert.Contains("round 2 is not open", wrongRound.Reason);
        Assert.True(accepted.Accepted, accepted.Reason);
        Assert.Contains("replay", replayed.Reason);
        Assert.All([wrongNonce, nan, tooFar, blob, garbage, wrongRound, replayed], r => Assert.False(r.Accepted));
    }

    [Fact]
    public async Task Round_SiteStopsRespondingMidRound_ClosesAtDeadlineWithOthersAndRefusesItsLateUpdate()
    {
        using var temp = new TempFolder();
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var engine = FederationFixtures.Engine(FederationFixtures.Plan(rounds: 3, minSites: 2, deadlineSeconds: 60), temp.Path, Sites, clock);
        foreach (var site in Sites) engine.Join(site, FederationFixtures.Hello);
        // Round 1 opened as soon as two sites had joined; site-c, joining later, takes part from round 2.
        Assert.IsType<SiteTask.Wait>(await engine.NextTaskAsync("site-c", TimeSpan.Zero, CancellationToken.None));
        await RunPlainRound(engine, ["site-a", "site-b"], 0f);
        var tasks = new Dictionary<string, SiteTask.Train>();
        foreach (var site in Sites) tasks[site] = await TrainTask(engine, site);
        var global = ModelBytes.Deserialize(tasks["site-a"].GlobalWeights, "global");
        Assert.True(engine.SubmitUpdate("site-a", Update(tasks["site-a"], Shifted(global, 0.01f))).Accepted);
        Assert.True(engine.SubmitUpdate("site-b", Update(tasks["site-b"], Shifted(global, 0.03f))).Accepted);

        var beforeDeadline = await engine.NextTaskAsync("site-a", TimeSpan.FromMilliseconds(20), CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(61));
        var afterDeadline = await engine.NextTaskAsync("site-a", TimeSpan.FromSeconds(5), CancellationToken.None);
        var late = engine.SubmitUpdate("site-c", Update(tasks["site-c"], global));

        Assert.IsType<SiteTask.Wait>(beforeDeadline);
        Assert.Equal(3, Assert.IsType<SiteTask.Train>(afterDeadline).Round);
        var round = engine.History[^1];
        Assert.Equal(2, round.Round);
        Assert.Equal(Sites, round.Sampled);
        Assert.Equal(["site-a", "site-b"], round.Contributors);
        Assert.Equal("site-c", Assert.Single(round.Failures).Site);
        Assert.False(late.Accepted);
        Assert.Contains("round 2 is closed", late.Reason);
        // FedAvg of two sites with equal weight: the global moved by the mean shift, 0.02.
        Assert.Equal(global[0].Values[0] + 0.02f, engine.GlobalModel[0].Values[0], 1e-6f);
    }

    [Fact]
    public async Task Round_FewerThanMinSitesByDeadline_AbandonedAndReopenedWithNewNonces()
    {
        using var temp = new TempFolder();
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var engine = FederationFixtures.Engine(FederationFixtures.Plan(minSites: 2, deadlineSeconds: 60), temp.Path, Sites, clock);
        engine.Join("site-a", FederationFixtures.Hello);
        engine.Join("site-b", FederationFixtures.Hello);
        var first = await TrainTask(engine, "site-a");
        var global = ModelBytes.Deserialize(first.GlobalWeights, "global");
        Assert.True(engine.SubmitUpdate("site-a", Update(first, global)).Accepted);

        clock.Advance(TimeSpan.FromSeconds(61));
        var second = await TrainTask(engine, "site-a");
        var stale = engine.SubmitUpdate("site-a", Update(first, global));

        Assert.Equal(1, second.Round);
        Assert.NotEqual(first.Nonce, second.Nonce);
        Assert.Empty(engine.History);
        Assert.Contains("nonce", stale.Reason);
        Assert.Contains(AuditEvents(Path.Combine(temp.Path, CoordinatorEngine.AuditFileName)), e => e == "round_abandoned");
    }

    [Fact]
    public async Task Restart_SecondEngineOnSameState_ContinuesAtRound3WithSameModel()
    {
        using var temp = new TempFolder();
        var plan = FederationFixtures.Plan(rounds: 3, minSites: 2);
        string[] sites = ["site-a", "site-b"];
        IReadOnlyList<NamedTensor> afterTwo;
        string shaAfterTwo;
        using (var first = FederationFixtures.Engine(plan, temp.Path, sites))
        {
            foreach (var site in sites) first.Join(site, FederationFixtures.Hello);
            await RunPlainRound(first, sites, 0.01f);
            await RunPlainRound(first, sites, 0.02f);
            afterTwo = first.GlobalModel;
            shaAfterTwo = first.History[^1].ModelSha256;
            Assert.Equal(2, first.LastFinishedRound);
        }

        using var second = FederationFixtures.Engine(plan, temp.Path, sites);
        Assert.Equal(2, second.LastFinishedRound);
        Assert.Equal(2, second.History.Count);
        foreach (var site in sites) second.Join(site, FederationFixtures.Hello);
        var task = await TrainTask(second, "site-a");
        Assert.Equal(3, task.Round);
        Assert.Equal(shaAfterTwo, task.GlobalSha256);
        for (var t = 0; t < afterTwo.Count; t++) Assert.Equal(afterTwo[t].Values, second.GlobalModel[t].Values);

        await RunPlainRound(second, sites, 0.03f);
        var finished = Assert.IsType<SiteTask.Finished>(await second.NextTaskAsync("site-b", TimeSpan.Zero, CancellationToken.None));
        Assert.Equal(3, finished.Rounds);
        Assert.True(second.IsFinished);
        var finalModel = MilModelFolder.Read(Path.Combine(temp.Path, CoordinatorEngine.FinalModelFolderName));
        Assert.Equal(finished.ModelSha256, ModelBytes.Sha256(ModelBytes.Serialize(finalModel.Weights)));
        Assert.True(Directory.Exists(Path.Combine(temp.Path, "checkpoints", "round-0003")));
    }

    [Fact]
    public async Task AuditLog_AfterRunWithRefusal_VerifiesAndHoldsEveryEventKind()
    {
        using var temp = new TempFolder();
        string[] sites = ["site-a", "site-b"];
        using (var engine = FederationFixtures.Engine(FederationFixtures.Plan(rounds: 1, minSites: 2), temp.Path, sites))
        {
            Assert.Throws<FederationException>(() => engine.Join("site-z", FederationFixtures.Hello));
            foreach (var site in sites) engine.Join(site, FederationFixtures.Hello);
            var task = await TrainTask(engine, "site-a");
            engine.SubmitUpdate("site-a", Update(task, WithValue(ModelBytes.Deserialize(task.GlobalWeights, "global"), float.PositiveInfinity)));
            await RunPlainRound(engine, sites, 0.01f);
        }

        var log = Path.Combine(temp.Path, CoordinatorEngine.AuditFileName);
        var verification = AuditVerifier.Verify(log);
        Assert.True(verification.IsValid, verification.Reason);
        var events = AuditEvents(log);
        foreach (var kind in new[] { "join_refused", "join", "round_opened", "model_sent", "update_refused", "update_received", "aggregated", "checkpoint", "finished" })
        {
            Assert.Contains(kind, events);
        }
    }

    [Fact]
    public async Task Privacy_TwoRoundsWithDp_RecordsTheAccountantsEpsilonAfterEachRoundAndAcrossRestarts()
    {
        using var temp = new TempFolder();
        string[] sites = ["site-a", "site-b"];
        var plan = FederationFixtures.Plan(rounds: 3) with { DifferentialPrivacy = new Plans.DifferentialPrivacyPlan { ClipNorm = 1, NoiseMultiplier = 1.1, Delta = 1e-5 } };
        using (var first = FederationFixtures.Engine(plan, temp.Path, sites))
        {
            foreach (var site in sites) first.Join(site, FederationFixtures.Hello);
            await RunPlainRound(first, sites, 0.01f);
            await RunPlainRound(first, sites, 0.01f);
        }

        using var second = FederationFixtures.Engine(plan, temp.Path, sites);
        foreach (var site in sites) second.Join(site, FederationFixtures.Hello);
        await RunPlainRound(second, sites, 0.01f);

        var expected = new RdpAccountant();
        foreach (var round in second.History)
        {
            expected.Step(1.1);
            Assert.Equal(expected.GetPrivacySpent(1e-5).Epsilon, round.Privacy!.Epsilon, 1e-9);
        }

        Assert.Equal(second.History[^1].Privacy, second.PrivacySpent);
    }

    [Fact]
    public async Task Engine_StateOfAnotherStrategy_RefusesToResume()
    {
        using var temp = new TempFolder();
        var plan = FederationFixtures.Plan(rounds: 1, minSites: 1);
        using (var engine = FederationFixtures.Engine(plan, temp.Path, ["site-a"]))
        {
            engine.Join("site-a", FederationFixtures.Hello);
            var task = await TrainTask(engine, "site-a");
            Assert.True(engine.SubmitUpdate("site-a", Update(task, ModelBytes.Deserialize(task.GlobalWeights, "global"))).Accepted);
        }

        var error = Assert.Throws<FederationException>(() => new CoordinatorEngine(plan, temp.Path, AllowList.FromNames(["site-a"]),
            AggregationStrategyFactory.Create("fedadam")));

        Assert.Contains("fedadam", error.Message);
        Assert.Contains("state.json", error.Message);
    }

    [Fact]
    public async Task SubmitSecureAggregation_MalformedOrImpersonatingPayloads_RefusedWithReasons()
    {
        using var temp = new TempFolder();
        using var engine = FederationFixtures.Engine(FederationFixtures.Plan(minSites: 2, secure: true), temp.Path, Sites);
        engine.Join("site-a", FederationFixtures.Hello);
        engine.Join("site-b", FederationFixtures.Hello);
        var task = await TrainTask(engine, "site-a");
        using var client = new SecureAggregationClient("site-b", new SecureAggregationSettings("s", 1, 2));

        var empty = engine.SubmitSecureAggregation("site-a", new SecureAggregationEnvelope(1, 0, task.Nonce, "{}"u8.ToArray()));
        var notJson = engine.SubmitSecureAggregation("site-a", new SecureAggregationEnvelope(1, 0, task.Nonce, [0xff, 0x00]));
        var impersonating = engine.SubmitSecureAggregation("site-a",
            new SecureAggregationEnvelope(1, 0, task.Nonce, SecureAggregationPayloads.Serialize(client.AdvertiseKeys())));
        var plainUpdate = engine.SubmitUpdate("site-a", Update(task, ModelBytes.Deserialize(task.GlobalWeights, "global")));

        Assert.All([empty, notJson, impersonating, plainUpdate], r => Assert.False(r.Accepted));
        Assert.Contains("AdvertiseKeys", empty.Reason);
        Assert.Contains("claims to come from 'site-b'", impersonating.Reason);
        Assert.Contains("secure aggregation", plainUpdate.Reason);
    }

    internal static List<string> AuditEvents(string log) =>
        [.. File.ReadLines(log).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("event").GetString()!)];

    internal static async Task<SiteTask.Train> TrainTask(CoordinatorEngine engine, string site) =>
        Assert.IsType<SiteTask.Train>(await engine.NextTaskAsync(site, TimeSpan.FromSeconds(5), CancellationToken.None));

    private static async Task RunPlainRound(CoordinatorEngine engine, IEnumerable<string> sites, float shift)
    {
        foreach (var site in sites)
        {
            var task = await TrainTask(engine, site);
            var result = engine.SubmitUpdate(site, Update(task, Shifted(ModelBytes.Deserialize(task.GlobalWeights, "global"), shift)));
            Assert.True(result.Accepted, result.Reason);
        }
    }

    private static SubmittedUpdate Update(SiteTask.Train task, IReadOnlyList<NamedTensor> parameters) =>
        new(task.Round, task.Nonce, ModelBytes.Serialize(parameters), 10, new Dictionary<string, double> { ["auc"] = 0.5 });

    private static NamedTensor[] Shifted(IReadOnlyList<NamedTensor> tensors, float shift) =>
        [.. tensors.Select(t => t with { Values = [.. t.Values.Select(v => v + shift)] })];

    private static NamedTensor[] WithValue(IReadOnlyList<NamedTensor> tensors, float value)
    {
        var copy = tensors.Select(t => t with { Values = (float[])t.Values.Clone() }).ToArray();
        copy[0].Values[0] = value;
        return copy;
    }

    /// <summary>The little-endian bytes of a float, as safetensors stores it.</summary>
    internal static byte[] Float32Bytes(float value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        return bytes;
    }
}
