using PathoFed.Federation.Coordination;
using PathoFed.Federation.Plans;
using PathoFed.Federation.SecureAggregation;
using PathoFed.Federation.Simulation;
using PathoFed.Federation.Sites;
using PathoFed.Mil.Data;
using PathoFed.Mil.Training;

namespace PathoFed.Federation.Tests.Coordination;

/// <summary>Whole federations in process: a coordinator engine and site workers talking through in-process channels.</summary>
public sealed class FederatedTrainingTests
{
    [Fact]
    public async Task FedAvg_OneSiteOneFullBatchStep_EqualsCentralisedTraining()
    {
        using var temp = new TempFolder();
        var data = FederationFixtures.Site("solo", 24, seed: 3);
        var plan = FederationFixtures.Plan(rounds: 1, minSites: 1, bagsPerStep: 1000, dropout: 0f, seed: 11);

        var (federated, history) = await FederationSimulation.RunFederationAsync(plan, [data], Path.Combine(temp.Path, "coordinator"), temp.Path, null, CancellationToken.None);

        // One epoch, one step.
        var centralised = CentralisedTraining(data, plan, epochs: 1);

        Assert.Single(history);
        Assert.Equal(centralised.Count, federated.Count);
        var initial = Mil.Heads.MilHeads.Create(plan.HeadConfig(), plan.Seed).GetParameters();
        var moved = 0.0;
        for (var t = 0; t < centralised.Count; t++)
        {
            Assert.Equal(centralised[t].Name, federated[t].Name);
            Assert.Equal(centralised[t].Values, federated[t].Values, (a, b) => Math.Abs(a - b) <= 1e-7f);
            moved += centralised[t].Values.Zip(initial[t].Values).Sum(p => Math.Abs(p.First - p.Second));
        }

        Assert.True(moved > 0, "the step changed nothing; the comparison would be vacuous");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task FedAvg_OneSiteThreeFullBatchRounds_EqualsThreeCentralisedEpochsOnlyWhenTheSiteKeepsItsOptimizer(bool keep)
    {
        using var temp = new TempFolder();
        var data = FederationFixtures.Site("solo", 24, seed: 3);
        var plan = FederationFixtures.Plan(rounds: 3, minSites: 1, bagsPerStep: 1000, dropout: 0f, seed: 11) with { KeepLocalOptimizerState = keep };

        var (federated, _) = await FederationSimulation.RunFederationAsync(plan, [data], Path.Combine(temp.Path, "coordinator"), temp.Path, null, CancellationToken.None);

        var centralised = CentralisedTraining(data, plan, epochs: 3);

        // Full batches: later rounds' shuffles change only the order gradients are summed in (float rounding, ~1e-7).
        var largest = centralised.Zip(federated).Max(p => p.First.Values.Zip(p.Second.Values).Max(v => Math.Abs(v.First - v.Second)));
        if (keep)
        {
            Assert.True(largest <= 1e-5f, $"largest difference {largest}");
        }
        else
        {
            // A fresh AdamW each round restarts at step 1: ±lr on every coordinate, not centralised training's step 2 and 3.
            Assert.True(largest > 1e-4f, $"largest difference {largest}");
        }
    }

    [Fact]
    public async Task SecureAggregation_Round_EqualsPlainFedAvgWithinQuantisation()
    {
        using var temp = new TempFolder();
        MilDataset[] sites = [FederationFixtures.Site("a", 10, seed: 1), FederationFixtures.Site("b", 14, seed: 2), FederationFixtures.Site("c", 8, seed: 3)];
        var plain = FederationFixtures.Plan(rounds: 1, minSites: 3);

        var (plainModel, _) = await FederationSimulation.RunFederationAsync(plain, sites, Path.Combine(temp.Path, "plain"), Path.Combine(temp.Path, "plain-sites"), null, CancellationToken.None);
        var (secureModel, history) = await FederationSimulation.RunFederationAsync(plain with { SecureAggregation = true }, sites, Path.Combine(temp.Path, "secure"),
            Path.Combine(temp.Path, "secure-sites"), null, CancellationToken.None);

        var round = Assert.Single(history);
        Assert.True(round.SecureAggregation);
        Assert.Equal(3, round.Contributors.Count);
        Assert.Contains("auc", round.Metrics.Keys);
        // Fixed point: 2^-30 on the weighted mean update, plus float32 rounding of values near 1.
        var bound = new FixedPointEncoding().MaxAbsErrorOfWeightedMean + 1e-6;
        for (var t = 0; t < plainModel.Count; t++)
        {
            Assert.Equal(plainModel[t].Values, secureModel[t].Values, (a, b) => Math.Abs(a - b) <= bound);
        }

        var events = CoordinatorEngineTests.AuditEvents(Path.Combine(temp.Path, "secure", CoordinatorEngine.AuditFileName));
        Assert.Equal(4, events.Count(e => e == "secure_aggregation_stage"));
        Assert.DoesNotContain("update_received", events);
    }

    [Fact]
    public async Task SecureAggregation_SiteDropsBeforeMasking_RoundCompletesWithTheOthers()
    {
        using var temp = new TempFolder();
        MilDataset[] sites = [FederationFixtures.Site("a", 8, seed: 1), FederationFixtures.Site("b", 8, seed: 2), FederationFixtures.Site("c", 8, seed: 3), FederationFixtures.Site("d", 8, seed: 4)];
        var plan = FederationFixtures.Plan(rounds: 1, minSites: 3, secure: true, deadlineSeconds: 2);

        // site-4 trains and shares keys, then goes silent before sending its masked input. It joins first: a site that joins
        // after the round opened (at 3 joined) would sit the round out, not drop out of it.
        var site4Joined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (_, history) = await FederationSimulation.RunFederationAsync(plan, sites, Path.Combine(temp.Path, "coordinator"), temp.Path, null, CancellationToken.None,
            (name, channel) => name == "site-4" ? new SilentAfterStage(channel, SecureAggregationStages.ShareKeys, site4Joined) : new JoinAfter(channel, site4Joined.Task));

        var round = Assert.Single(history);
        Assert.Equal(["site-1", "site-2", "site-3"], round.Contributors.Order());
        Assert.Equal("site-4", Assert.Single(round.Failures).Site);
    }

    /// <summary>Passes calls through until the site has answered <c>stage</c>, then never answers again (its tasks hang until cancelled).</summary>
    private sealed class SilentAfterStage(ISiteChannel inner, int stage, TaskCompletionSource joined) : ISiteChannel
    {
        private bool _silent;

        public async Task<JoinResult> JoinAsync(SiteHello hello, CancellationToken cancellationToken)
        {
            var result = await inner.JoinAsync(hello, cancellationToken);
            joined.TrySetResult();
            return result;
        }

        public async Task<SiteTask> NextTaskAsync(TimeSpan wait, CancellationToken cancellationToken)
        {
            var task = await inner.NextTaskAsync(wait, cancellationToken);
            if (!_silent || task is SiteTask.Finished) return task; // a finished federation releases the site, so the run ends
            await Task.Delay(50, cancellationToken);
            return new SiteTask.Wait("silent");
        }

        public Task<SubmitResult> SubmitUpdateAsync(SubmittedUpdate update, CancellationToken cancellationToken) => inner.SubmitUpdateAsync(update, cancellationToken);

        public async Task<SubmitResult> SubmitSecureAggregationAsync(SecureAggregationEnvelope message, CancellationToken cancellationToken)
        {
            var result = await inner.SubmitSecureAggregationAsync(message, cancellationToken);
            if (message.Stage == stage) _silent = true;
            return result;
        }
    }

    /// <summary>Joins once <c>gate</c> completes; otherwise passes every call through.</summary>
    private sealed class JoinAfter(ISiteChannel inner, Task gate) : ISiteChannel
    {
        public async Task<JoinResult> JoinAsync(SiteHello hello, CancellationToken cancellationToken)
        {
            await gate.WaitAsync(cancellationToken);
            return await inner.JoinAsync(hello, cancellationToken);
        }

        public Task<SiteTask> NextTaskAsync(TimeSpan wait, CancellationToken cancellationToken) => inner.NextTaskAsync(wait, cancellationToken);

        public Task<SubmitResult> SubmitUpdateAsync(SubmittedUpdate update, CancellationToken cancellationToken) => inner.SubmitUpdateAsync(update, cancellationToken);

        public Task<SubmitResult> SubmitSecureAggregationAsync(SecureAggregationEnvelope message, CancellationToken cancellationToken) =>
            inner.SubmitSecureAggregationAsync(message, cancellationToken);
    }

    /// <summary>Training on the very patients the site trains on (it holds some out for federated evaluation), as one process would.</summary>
    private static IReadOnlyList<NamedTensor> CentralisedTraining(MilDataset data, FederationPlan plan, int epochs)
    {
        var site = new SiteTrainer("site-1", data, plan);
        return MilTrainer.Train(site.TrainingSet, null, new MilTrainingOptions
        {
            Head = plan.HeadConfig(),
            Epochs = epochs,
            BatchSize = plan.BagsPerStep,
            LearningRate = plan.LearningRate,
            WeightDecay = plan.WeightDecay,
            ClassWeights = SiteTrainer.BalancedClassWeights(site.TrainingSet, plan.Classes.Count),
            Seed = plan.Seed,
        }).Head.GetParameters();
    }
}
