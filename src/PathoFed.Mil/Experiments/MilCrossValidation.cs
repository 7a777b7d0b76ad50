using PathoFed.Mil.Data;
using PathoFed.Mil.Evaluation;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Models;
using PathoFed.Mil.Training;

namespace PathoFed.Mil.Experiments;

/// <summary>How a head is evaluated and then trained for use. Immutable, validated once.</summary>
public sealed record MilExperimentOptions
{
    /// <summary>Head and optimiser settings; <see cref="MilTrainingOptions.Head"/> must be set.</summary>
    public required MilTrainingOptions Training { get; init; }

    /// <summary>Patient-level folds; 1 skips cross-validation and only trains the final model.</summary>
    public int Folds { get; init; } = 5;

    /// <summary>Share of each training fold's patients held out for early stopping.</summary>
    public double ValidationFraction { get; init; } = 0.2;

    public int BootstrapResamples { get; init; } = Bootstrap.DefaultResamples;

    public MilExperimentOptions Validate()
    {
        if (Training.Head is null) throw new MilException("The experiment names no head configuration (Training.Head).");
        Training.Validate();
        if (Folds < 1) throw new MilException($"Folds must be at least 1, not {Folds}.");
        if (!(ValidationFraction > 0 && ValidationFraction < 1)) throw new MilException($"Validation fraction must lie between 0 and 1, not {ValidationFraction}.");
        if (BootstrapResamples < 10) throw new MilException($"Bootstrap resamples must be at least 10, not {BootstrapResamples}.");
        return this;
    }
}

/// <summary>Progress of an experiment: an epoch of fold <see cref="Fold"/> (0 is the final model trained on every slide).</summary>
public sealed record ExperimentProgress(int Fold, int FoldCount, EpochReport Epoch, int MaxEpochs);

/// <summary>One slide's out-of-fold prediction: the fold whose model never saw the slide's patient.</summary>
public sealed record OutOfFoldPrediction(int Fold, MilExample Example, MilPrediction Prediction);

public sealed record MilExperimentResult(MilModel Model, IReadOnlyList<OutOfFoldPrediction> OutOfFold);

/// <summary>
/// Patient-level stratified k-fold cross-validation of a MIL head, then the model for use: each fold trains with early
/// stopping on a patient-level validation split and scores its held-out patients; metrics are reported per fold, as
/// mean ± sd, and with bootstrap intervals over the pooled out-of-fold predictions. The final head is trained on every
/// slide for the median number of epochs early stopping chose across folds.
/// </summary>
public static class MilCrossValidation
{
    /// <exception cref="MilException">Too few patients for the folds, or unusable data or options.</exception>
    public static MilExperimentResult Run(MilDataset dataset, MilExperimentOptions options, IProgress<ExperimentProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        IReadOnlyList<MilExample> examples = dataset.Examples;
        MilTrainingOptions training = options.Training with { Head = options.Training.Head! with { InputDim = dataset.EmbeddingDim } };
        var folds = new List<FoldSummary>();
        var outOfFold = new List<OutOfFoldPrediction>();
        var bestEpochs = new List<int>();

        if (options.Folds > 1)
        {
            IReadOnlyList<MilFold> splits = PatientFolds.StratifiedKFold(dataset, options.Folds, training.Seed);
            foreach (MilFold fold in splits)
            {
                cancellationToken.ThrowIfCancellationRequested();
                TrainValidationSplit split = PatientFolds.SplitForValidation(examples, dataset.Task, fold.TrainIndices, options.ValidationFraction, training.Seed + fold.Index);
                MilExample[] train = Pick(examples, split.TrainIndices), validation = Pick(examples, split.ValidationIndices), test = Pick(examples, fold.TestIndices);
                int foldNumber = fold.Index + 1;
                var epochs = new Progress(progress, foldNumber, splits.Count, training.Epochs);
                MilTrainingResult result = MilTrainer.Train(train, validation, training with { Seed = training.Seed + foldNumber }, epochs, cancellationToken);

                var predictions = test.Select(e => new OutOfFoldPrediction(foldNumber, e, MilTrainer.Predict(result.Head, e.Bag))).ToArray();
                outOfFold.AddRange(predictions);
                bestEpochs.Add(Math.Max(1, result.BestEpoch));
                folds.Add(new FoldSummary(foldNumber, train.Length, validation.Length, test.Length, result.History.Count, MilMetrics.Compute(dataset, predictions)));
            }
        }

        int finalEpochs = bestEpochs.Count > 0 ? Median(bestEpochs) : training.Epochs;
        MilTrainingResult final = MilTrainer.Train(examples, null, training with { Epochs = finalEpochs }, new Progress(progress, 0, options.Folds, finalEpochs), cancellationToken);
        var intervals = outOfFold.Count > 0
            ? MilMetrics.BootstrapIntervals(dataset, outOfFold, options.BootstrapResamples, training.Seed)
            : new Dictionary<string, ConfidenceInterval>();
        var summary = MilTrainingSummary.FromFolds(folds, intervals, finalEpochs, dataset.Skipped);
        var settings = new { options.Folds, options.ValidationFraction, options.BootstrapResamples, Optimiser = training with { Head = null } };
        return new MilExperimentResult(TrainedHead.ToModel(final.Head, dataset.ClassNames, dataset.Features, settings, summary), outOfFold);
    }

    private static MilExample[] Pick(IReadOnlyList<MilExample> examples, IReadOnlyList<int> indices)
    {
        var picked = new MilExample[indices.Count];
        for (int i = 0; i < picked.Length; i++) picked[i] = examples[indices[i]];
        return picked;
    }

    private static int Median(List<int> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private sealed class Progress(IProgress<ExperimentProgress>? inner, int fold, int folds, int maxEpochs) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => inner?.Report(new ExperimentProgress(fold, folds, value, maxEpochs));
    }
}
