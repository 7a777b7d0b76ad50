using PathoFed.Federation.Plans;
using PathoFed.Mil;
using PathoFed.Mil.Data;
using PathoFed.Mil.Evaluation;
using PathoFed.Mil.Experiments;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Training;

namespace PathoFed.Federation.Sites;

/// <summary>What a site sends back after a round: parameters, how many examples trained them, and local metrics (no data).</summary>
public sealed record LocalRoundResult(IReadOnlyList<NamedTensor> Parameters, int ExampleCount, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// A site's share of federated training: its own slides, split once into local training and hold-out patients. Each
/// round it scores the global model on its hold-out (federated evaluation), then trains the global model for the
/// plan's local epochs. Nothing but parameters, counts and metrics leaves this class.
/// </summary>
public sealed class SiteTrainer
{
    public const string ValidationLossMetric = "validation_loss";
    public const string TrainLossMetric = "train_loss";

    /// <summary>How many hold-out examples the metrics come from: the weight of this site's metrics in federated evaluation.</summary>
    public const string ValidationExamplesMetric = "validation_examples";

    private readonly FederationPlan _plan;
    private readonly MilExample[] _train;
    private readonly MilExample[] _validation;
    private readonly MilDataset _dataset;
    private readonly IMilHead _head;
    private AdamW? _optimizer;

    /// <exception cref="FederationException">The site's features or labels do not fit the plan.</exception>
    public SiteTrainer(string siteName, MilDataset dataset, FederationPlan plan)
    {
        SiteName = siteName;
        _plan = plan;
        _dataset = CheckFits(siteName, dataset, plan);
        _head = MilHeads.Create(plan.HeadConfig(), plan.Seed);
        (_train, _validation) = Split(_dataset, plan);
    }

    public string SiteName { get; }

    public int TrainingExamples => _train.Length;

    public int ValidationExamples => _validation.Length;

    /// <summary>The local training examples (for simulations that compare federated with pooled training on the same patients).</summary>
    internal IReadOnlyList<MilExample> TrainingSet => _train;

    /// <summary>Evaluates <paramref name="global"/> on the hold-out, then trains it locally for the round.</summary>
    public LocalRoundResult RunRound(int round, IReadOnlyList<NamedTensor> global, float proximalMu, CancellationToken cancellationToken)
    {
        _head.SetParameters(global);
        var metrics = new Dictionary<string, double>(Evaluate(cancellationToken));
        var options = new MilTrainingOptions
        {
            Epochs = _plan.LocalEpochs,
            BatchSize = _plan.BagsPerStep,
            LearningRate = _plan.LearningRate,
            WeightDecay = _plan.WeightDecay,
            ProximalMu = proximalMu,
            ClassWeights = _plan.Task == MilTask.Classify && _plan.BalanceLocalClasses ? BalancedClassWeights(_train, _plan.Classes.Count) : null,
            Seed = RoundSeed(_plan.Seed, round, SiteName),
        };
        AdamW? optimizer = null;
        if (_plan.KeepLocalOptimizerState) optimizer = _optimizer ??= MilTrainer.CreateOptimizer(_head, options);
        MilLocalUpdate update = MilTrainer.TrainEpochs(_head, _train, _plan.LocalEpochs, options, cancellationToken, optimizer);
        metrics[TrainLossMetric] = update.History[^1].TrainLoss;
        return new LocalRoundResult(update.Parameters, update.ExampleCount, metrics);
    }

    /// <summary>The current head's metrics on the site's hold-out patients: the task's metrics plus the validation loss.</summary>
    private Dictionary<string, double> Evaluate(CancellationToken cancellationToken)
    {
        if (_validation.Length == 0) return [];
        var predictions = new OutOfFoldPrediction[_validation.Length];
        for (int i = 0; i < _validation.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            predictions[i] = new OutOfFoldPrediction(0, _validation[i], MilTrainer.Predict(_head, _validation[i].Bag));
        }
        var metrics = MilMetrics.Compute(_dataset with { Examples = _validation }, predictions);
        metrics[ValidationExamplesMetric] = _validation.Length;
        return metrics;
    }

    /// <summary>
    /// Inverse-frequency class weights n / (K·n_c) over the classes present in <paramref name="examples"/> (K of them), so
    /// every present class carries the same total weight and the weights average 1 over the examples; a class absent
    /// from the examples gets 0 (it contributes no loss term anyway). Balanced data gives all 1.
    /// </summary>
    public static float[] BalancedClassWeights(IReadOnlyList<MilExample> examples, int classCount)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var counts = new int[classCount];
        foreach (var example in examples) counts[example.Target.ClassIndex]++;
        var present = counts.Count(c => c > 0);
        var weights = new float[classCount];
        for (var c = 0; c < classCount; c++) weights[c] = counts[c] == 0 ? 0f : (float)((double)examples.Count / (present * counts[c]));
        return weights;
    }

    /// <summary>
    /// The local training seed of <paramref name="site"/> in <paramref name="round"/>, the same in every run
    /// (string.GetHashCode is randomised per process). Round 1 trains with the plan seed itself: the global model of round 1
    /// is the head initialised from that seed, so one site's first round is step for step what centralised
    /// <c>MilTrainer.Train</c> with the plan seed does (the FedAvg-equals-centralised check relies on it); every later round
    /// mixes in the round and the site for fresh shuffles and dropout masks.
    /// </summary>
    internal static int RoundSeed(int planSeed, int round, string site)
    {
        if (round <= 1) return planSeed;
        uint hash = 2166136261;
        foreach (char c in site) hash = (hash ^ c) * 16777619;
        return (int)((hash ^ (uint)planSeed * 31 ^ (uint)round * 1_000_003) & int.MaxValue);
    }

    private static MilDataset CheckFits(string site, MilDataset dataset, FederationPlan plan)
    {
        if (dataset.ExtractorSha256 != plan.ExtractorSha256 || dataset.EmbeddingDim != plan.EmbeddingDim)
        {
            throw new FederationException(
                $"Site '{site}': its features come from {dataset.ExtractorId} (sha256 {dataset.ExtractorSha256}, {dataset.EmbeddingDim}-d) but the plan trains on " +
                $"{plan.ExtractorId} (sha256 {plan.ExtractorSha256}, {plan.EmbeddingDim}-d); embed the site's slides with {plan.ExtractorId}.");
        }
        if (dataset.Task != plan.Task) throw new FederationException($"Site '{site}': labels are for {dataset.Task}, the plan trains {plan.Task}.");
        if (plan.Task == MilTask.Classify && !dataset.ClassNames.SequenceEqual(plan.Classes))
        {
            // A site's labels file numbers its own classes (sorted names): a site missing one of the plan's classes, or
            // naming them so they sort differently, would give index 1 another meaning than the plan's. Map by name.
            var unknown = dataset.ClassNames.Where(name => !plan.Classes.Contains(name, StringComparer.Ordinal)).ToArray();
            if (unknown.Length > 0)
            {
                throw new FederationException(
                    $"Site '{site}': its labels have classes [{string.Join(", ", dataset.ClassNames)}], the plan [{string.Join(", ", plan.Classes)}]; " +
                    $"[{string.Join(", ", unknown)}] {(unknown.Length == 1 ? "is" : "are")} not among the plan's classes.");
            }

            var planIndex = dataset.ClassNames.Select(name => plan.Classes.ToList().IndexOf(name)).ToArray();
            dataset = dataset with
            {
                ClassNames = plan.Classes,
                Examples = [.. dataset.Examples.Select(e => e with { Target = MilTarget.Class(planIndex[e.Target.ClassIndex]) })],
            };
        }
        return dataset;
    }

    private static (MilExample[] Train, MilExample[] Validation) Split(MilDataset dataset, FederationPlan plan)
    {
        IReadOnlyList<MilExample> all = dataset.Examples;
        if (all.Select(e => e.PatientId).Distinct().Count() < 2) return (all.ToArray(), []);
        TrainValidationSplit split = PatientFolds.SplitForValidation(all, dataset.Task, Enumerable.Range(0, all.Count).ToArray(), plan.LocalValidationFraction, plan.Seed);
        return (split.TrainIndices.Select(i => all[i]).ToArray(), split.ValidationIndices.Select(i => all[i]).ToArray());
    }
}
