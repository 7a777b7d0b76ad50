using System.Text.Json;
using System.Text.Json.Serialization;
using PathoFed.Federation.Audit;
using PathoFed.Federation.Coordination;
using PathoFed.Federation.Plans;
using PathoFed.Federation.Privacy;
using PathoFed.Federation.Security;
using PathoFed.Federation.Sites;
using PathoFed.Federation.Strategies;
using PathoFed.Mil.Data;
using PathoFed.Mil.Evaluation;
using PathoFed.Mil.Experiments;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Training;

namespace PathoFed.Federation.Simulation;

/// <summary>What <c>pathofed fed simulate</c> runs: how one data set is split into sites and how the federation trains.</summary>
public sealed record SimulationOptions
{
    public int Sites { get; init; } = 3;

    public PartitionKind Partition { get; init; } = PartitionKind.Iid;

    /// <summary>Dirichlet concentration for <see cref="PartitionKind.Dirichlet"/>.</summary>
    public double Alpha { get; init; } = 0.5;

    public int Rounds { get; init; } = 10;

    public int LocalEpochs { get; init; } = 1;

    /// <summary>fedavg, fedprox, fedadam or fedyogi.</summary>
    public string Strategy { get; init; } = AggregationStrategyFactory.FedAvg;

    /// <summary>The strategy's options as JSON (snake_case); null for its defaults.</summary>
    public string? StrategyOptionsJson { get; init; }

    public bool SecureAggregation { get; init; }

    /// <summary>σ of site-side DP; null for no differential privacy.</summary>
    public double? DpNoiseMultiplier { get; init; }

    /// <summary>C of site-side DP.</summary>
    public double DpClipNorm { get; init; } = 1.0;

    public double DpDelta { get; init; } = 1e-5;

    public int Seed { get; init; }

    /// <summary>Share of patients held out as the global test set (never seen by any arm's training).</summary>
    public double TestFraction { get; init; } = 0.25;

    public MilHeadKind Head { get; init; } = MilHeadKind.Abmil;

    public int BagsPerStep { get; init; } = 8;

    /// <summary>
    /// AdamW learning rate of every arm. 3e-3, not the plan's 1e-3: on the planted-witness non-IID grid
    /// (<c>tools/bench-fed-noniid.sh</c>, README) ABMIL at 1e-3 spends a third of a 30-epoch run on its starting plateau; at 3e-3,
    /// picked on seed 0, mean test AUC over seeds 1-5 is higher for every federated arm at Dirichlet α = 0.5 and 1, and for
    /// pooled training about the same (α = 0.5) or higher (α = 1).
    /// </summary>
    public float LearningRate { get; init; } = 3e-3f;

    public float WeightDecay { get; init; } = 1e-4f;

    public float Dropout { get; init; } = 0.1f;

    public int EncoderDim { get; init; } = 128;

    public int AttentionDim { get; init; } = 64;

    /// <summary><see cref="FederationPlan.BalanceLocalClasses"/>; the pooled and local-only arms weigh their own classes the same way.</summary>
    public bool BalanceLocalClasses { get; init; } = true;

    /// <summary><see cref="FederationPlan.KeepLocalOptimizerState"/>.</summary>
    public bool KeepLocalOptimizerState { get; init; } = true;

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public SimulationOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Sites, 1, nameof(Sites));
        ArgumentOutOfRangeException.ThrowIfLessThan(Rounds, 1, nameof(Rounds));
        ArgumentOutOfRangeException.ThrowIfLessThan(LocalEpochs, 1, nameof(LocalEpochs));
        if (!(TestFraction is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(TestFraction), TestFraction, "must lie strictly between 0 and 1");
        if (SecureAggregation && Sites < 2) throw new ArgumentOutOfRangeException(nameof(Sites), Sites, "secure aggregation needs at least 2 sites");
        if (DpNoiseMultiplier is < 0) throw new ArgumentOutOfRangeException(nameof(DpNoiseMultiplier), DpNoiseMultiplier, "must not be negative");
        if (!(DpClipNorm > 0)) throw new ArgumentOutOfRangeException(nameof(DpClipNorm), DpClipNorm, "must be positive");
        return this;
    }
}

/// <summary>One simulated site: its share of the training patients and how the local-only baseline did on the test set.</summary>
public sealed record SimulatedSite(string Site, int Patients, int TrainingExamples, int ValidationExamples, IReadOnlyDictionary<string, int> Labels,
    IReadOnlyDictionary<string, double> LocalOnlyTestMetrics);

/// <summary>
/// The three arms on the same held-out test patients: pooled (all sites' training patients in one place), local-only
/// (each site alone, metrics averaged over sites) and federated; plus the federation's rounds and traffic.
/// </summary>
public sealed record SimulationResult(
    string PrimaryMetric,
    int TestPatients,
    int TestSlides,
    IReadOnlyDictionary<string, double> Pooled,
    IReadOnlyDictionary<string, double> LocalOnlyMean,
    IReadOnlyDictionary<string, double> Federated,
    IReadOnlyList<SimulatedSite> Sites,
    IReadOnlyList<RoundRecord> Rounds,
    double MeanBytesToSitePerRound,
    double MeanBytesFromSitePerRound,
    PrivacySpent? Privacy,
    SimulationOptions Options,
    string StateFolder)
{
    /// <summary>The results file written into the output folder.</summary>
    public const string FileName = "results.json";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };
}

/// <summary>
/// Federated learning on one machine: one data set split by patient into sites and a held-out test set, then pooled,
/// local-only and federated training (a <see cref="CoordinatorEngine"/> and one <see cref="SiteWorker"/> per site in
/// process, through <see cref="InProcessSiteChannel"/>), all for the same number of epochs with the same optimiser.
/// </summary>
public static class FederationSimulation
{
    /// <summary>Site names: <c>site-1</c>, <c>site-2</c>, ...</summary>
    public static string SiteName(int index) => $"site-{index + 1}";

    /// <summary>Runs the three arms and writes <c>results.json</c>, the coordinator's state folder (<c>coordinator/</c>) and each site's audit log (<c>sites/NAME/audit.log</c>) into <paramref name="outputFolder"/>.</summary>
    /// <exception cref="ArgumentException">Too few patients for the sites and the test set, an option out of range, or the output folder holds an earlier simulation.</exception>
    /// <exception cref="FederationException">The federation failed (the message says where).</exception>
    public static async Task<SimulationResult> RunAsync(MilDataset dataset, SimulationOptions options, string outputFolder,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputFolder);
        options.Validate();
        var stateFolder = Path.Combine(outputFolder, "coordinator");
        if (Directory.Exists(stateFolder) && Directory.EnumerateFileSystemEntries(stateFolder).Any())
        {
            // The coordinator would resume the earlier run, whatever options this one asks for.
            throw new ArgumentException($"Output folder '{outputFolder}' already holds a simulation ({stateFolder}); choose a new folder.", nameof(outputFolder));
        }

        Directory.CreateDirectory(outputFolder);

        var all = dataset.Examples;
        var split = PatientFolds.SplitForValidation(all, dataset.Task, [.. Enumerable.Range(0, all.Count)], options.TestFraction, options.Seed);
        MilExample[] test = [.. split.ValidationIndices.Select(i => all[i])];
        MilExample[] training = [.. split.TrainIndices.Select(i => all[i])];
        var testSet = dataset with { Examples = test };
        var plan = BuildPlan(dataset, options);
        var partitions = PatientPartition.Split(training, dataset.Task, options.Sites, options.Partition, options.Alpha, options.Seed);
        var siteData = partitions.Select(p => dataset with { Examples = p }).ToArray();
        // The trainers split each site's patients as the federated sites will, so every arm trains on the same patients.
        var trainers = siteData.Select((d, s) => new SiteTrainer(SiteName(s), d, plan)).ToArray();
        var epochs = options.Rounds * options.LocalEpochs;
        var trainingOptions = new MilTrainingOptions
        {
            Head = plan.HeadConfig(),
            Epochs = epochs,
            BatchSize = plan.BagsPerStep,
            LearningRate = plan.LearningRate,
            WeightDecay = plan.WeightDecay,
            Seed = plan.Seed,
        };

        progress?.Report($"{trainers.Sum(t => t.TrainingSet.Count)} training slides at {options.Sites} sites, {test.Length} test slides; pooled training for {epochs} epochs");
        MilExample[] pooledSet = [.. trainers.SelectMany(t => t.TrainingSet)];
        var pooled = Evaluate(MilTrainer.Train(pooledSet, null, WithClassWeights(trainingOptions, pooledSet, plan), ct: cancellationToken).Head, testSet);

        var sites = new List<SimulatedSite>();
        for (var s = 0; s < trainers.Length; s++)
        {
            progress?.Report($"local-only training at {trainers[s].SiteName}");
            var local = Evaluate(MilTrainer.Train(trainers[s].TrainingSet, null, WithClassWeights(trainingOptions, trainers[s].TrainingSet, plan), ct: cancellationToken).Head, testSet);
            sites.Add(new SimulatedSite(trainers[s].SiteName, partitions[s].Select(e => e.PatientId).Distinct().Count(), trainers[s].TrainingExamples,
                trainers[s].ValidationExamples, LabelCounts(siteData[s]), local));
        }

        progress?.Report($"federated training: {options.Rounds} rounds of {options.Strategy}{(options.SecureAggregation ? " with secure aggregation" : "")}{(options.DpNoiseMultiplier is { } σ ? $", DP σ = {σ}" : "")}");
        var (global, history) = await RunFederationAsync(plan, siteData, stateFolder, outputFolder, progress, cancellationToken).ConfigureAwait(false);
        var federatedHead = MilHeads.Create(plan.HeadConfig(), plan.Seed);
        federatedHead.SetParameters(global);
        var federated = Evaluate(federatedHead, testSet);

        var traffic = history.SelectMany(r => r.Traffic.Values).ToArray();
        var result = new SimulationResult(
            dataset.Task == MilTask.Classify ? MilMetrics.Auc : MilMetrics.ConcordanceIndex,
            test.Select(e => e.PatientId).Distinct().Count(),
            test.Length,
            pooled,
            MeanOf(sites.Select(s => s.LocalOnlyTestMetrics)),
            federated,
            sites,
            history,
            traffic.Length == 0 ? 0 : traffic.Average(t => (double)t.BytesToSite),
            traffic.Length == 0 ? 0 : traffic.Average(t => (double)t.BytesFromSite),
            history.Count == 0 ? null : history[^1].Privacy,
            options,
            stateFolder);
        AtomicFile.WriteAllBytes(Path.Combine(outputFolder, SimulationResult.FileName), JsonSerializer.SerializeToUtf8Bytes(result, SimulationResult.Json));
        return result;
    }

    /// <summary>The plan a simulation trains by: quorum = every site, a generous deadline (nobody drops out in process).</summary>
    internal static FederationPlan BuildPlan(MilDataset dataset, SimulationOptions options)
    {
        var plan = new FederationPlan
        {
            Name = "pathofed-simulation",
            Head = options.Head,
            Task = dataset.Task,
            Classes = dataset.Task == MilTask.Classify ? dataset.ClassNames : [],
            ExtractorId = dataset.ExtractorId,
            ExtractorSha256 = dataset.ExtractorSha256,
            EmbeddingDim = dataset.EmbeddingDim,
            EncoderDim = options.EncoderDim,
            AttentionDim = options.AttentionDim,
            Dropout = options.Dropout,
            Strategy = options.Strategy,
            StrategyOptions = options.StrategyOptionsJson is null ? default : JsonDocument.Parse(options.StrategyOptionsJson).RootElement.Clone(),
            Rounds = options.Rounds,
            LocalEpochs = options.LocalEpochs,
            BalanceLocalClasses = options.BalanceLocalClasses,
            KeepLocalOptimizerState = options.KeepLocalOptimizerState,
            BagsPerStep = options.BagsPerStep,
            LearningRate = options.LearningRate,
            WeightDecay = options.WeightDecay,
            MinSites = options.Sites,
            RoundDeadlineSeconds = 24 * 3600,
            SecureAggregation = options.SecureAggregation,
            DifferentialPrivacy = options.DpNoiseMultiplier is { } sigma
                ? new DifferentialPrivacyPlan { ClipNorm = options.DpClipNorm, NoiseMultiplier = sigma, Delta = options.DpDelta }
                : null,
            Seed = options.Seed,
        };
        if (plan.DifferentialPrivacy is { } dp)
        {
            // The noised update's norm is about C·√(1 + σ²d): the norm bound must let honest noised updates through.
            var parameters = MilHeads.Create(plan.HeadConfig(), plan.Seed).GetParameters().Sum(t => (long)t.ElementCount);
            plan = plan with { MaxUpdateNorm = Math.Max(plan.MaxUpdateNorm, 2 * dp.ClipNorm * (1 + dp.NoiseMultiplier * Math.Sqrt(parameters))) };
        }

        return plan.Validate("simulation plan");
    }

    /// <summary>A coordinator and one worker per site, all in process; returns the final global model and the round history.</summary>
    internal static async Task<(IReadOnlyList<NamedTensor> Global, IReadOnlyList<RoundRecord> History)> RunFederationAsync(
        FederationPlan plan, IReadOnlyList<MilDataset> siteData, string stateFolder, string outputFolder, IProgress<string>? progress,
        CancellationToken cancellationToken, Func<string, ISiteChannel, ISiteChannel>? wrapChannel = null)
    {
        var names = Enumerable.Range(0, siteData.Count).Select(SiteName).ToArray();
        var strategy = AggregationStrategyFactory.Create(plan.Strategy, plan.StrategyOptions.ValueKind == JsonValueKind.Undefined ? null : plan.StrategyOptions.GetRawText());
        using var engine = new CoordinatorEngine(plan, stateFolder, AllowList.FromNames(names, "simulation"), strategy);
        var logs = names.Select(n => AuditLog.Open(Path.Combine(outputFolder, "sites", n, CoordinatorEngine.AuditFileName), n)).ToArray();
        // One failed site would leave the others waiting for a quorum that never comes: it stops them all.
        using var stopAll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var workers = names.Select((name, s) => Task.Run(async () =>
            {
                try
                {
                    using var worker = new SiteWorker(name, siteData[s], logs[s], new SiteWorkerOptions { PollWait = TimeSpan.FromSeconds(5) });
                    ISiteChannel channel = new InProcessSiteChannel(engine, name);
                    return await worker.RunAsync(wrapChannel?.Invoke(name, channel) ?? channel, stopAll.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    await stopAll.CancelAsync().ConfigureAwait(false);
                    throw;
                }
            }, stopAll.Token)).ToArray();
            await Task.WhenAll(workers).ConfigureAwait(false);
            foreach (var round in engine.History)
            {
                progress?.Report($"round {round.Round}: {string.Join(", ", round.Metrics.Select(m => $"{m.Key} {m.Value:0.000}"))}");
            }

            return (engine.GlobalModel, engine.History);
        }
        finally
        {
            foreach (var log in logs) log.Dispose();
        }
    }

    /// <summary>The pooled and local-only arms weigh classes by the rule the sites use, each over its own training examples.</summary>
    private static MilTrainingOptions WithClassWeights(MilTrainingOptions options, IReadOnlyList<MilExample> examples, FederationPlan plan) =>
        plan.Task == MilTask.Classify && plan.BalanceLocalClasses ? options with { ClassWeights = SiteTrainer.BalancedClassWeights(examples, plan.Classes.Count) } : options;

    private static Dictionary<string, double> Evaluate(IMilHead head, MilDataset test)
    {
        var predictions = test.Examples.Select(e => new OutOfFoldPrediction(0, e, MilTrainer.Predict(head, e.Bag))).ToArray();
        return MilMetrics.Compute(test, predictions);
    }

    private static Dictionary<string, int> LabelCounts(MilDataset site) =>
        site.Task == MilTask.Classify
            ? site.Examples.GroupBy(e => site.ClassNames[e.Target.ClassIndex]).ToDictionary(g => g.Key, g => g.Count())
            : site.Examples.GroupBy(e => e.Target.Event ? "event" : "censored").ToDictionary(g => g.Key, g => g.Count());

    private static Dictionary<string, double> MeanOf(IEnumerable<IReadOnlyDictionary<string, double>> metrics)
    {
        var finite = metrics.SelectMany(m => m).Where(kv => double.IsFinite(kv.Value));
        return finite.GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Average(kv => kv.Value));
    }
}
