using System.Text.Json;
using PathoFed.Mil.Data;
using PathoFed.Mil.Evaluation;

namespace PathoFed.Mil.Models;

/// <summary>
/// What a trained head needs besides its weights. <see cref="HeadConfig"/> and <see cref="Training"/> are JSON objects
/// owned by the head and the trainer and stored as they are; this layer only checks that they are objects.
/// </summary>
/// <param name="HeadKind">The head's registered name (e.g. "abmil"), which picks the code that reads <see cref="HeadConfig"/>.</param>
/// <param name="ClassNames">Class names in class-index order for classification; empty for survival.</param>
/// <param name="Features">The extractor the head was trained on; bags from any other are refused by <see cref="EnsureCompatible(FeatureOrigin)"/>.</param>
/// <param name="Training">Training settings (epochs, learning rate, folds, seed...); <c>default</c> stores an empty object.</param>
public sealed record MilModelConfig(
    string HeadKind,
    JsonElement HeadConfig,
    MilTask Task,
    IReadOnlyList<string> ClassNames,
    FeatureOrigin Features,
    JsonElement Training = default)
{
    /// <inheritdoc cref="EnsureCompatible(FeatureOrigin)"/>
    public void EnsureCompatible(string extractorId, string extractorSha256, int embeddingDim) =>
        EnsureCompatible(new FeatureOrigin(extractorId, extractorSha256, embeddingDim));

    /// <summary>Refuses to score features from another extractor (or another version of it, or another width).</summary>
    /// <exception cref="MilException">The features differ; the message names both extractors.</exception>
    public void EnsureCompatible(FeatureOrigin features)
    {
        if (features.ExtractorId != Features.ExtractorId || features.ExtractorSha256 != Features.ExtractorSha256)
        {
            throw new MilException(
                $"The model expects features from extractor {Features.ExtractorId} (sha256 {Features.ExtractorSha256}) but these come from " +
                $"{features.ExtractorId} (sha256 {features.ExtractorSha256}): extract the slides with {Features.ExtractorId}, or use a model trained on {features.ExtractorId}");
        }
        if (features.EmbeddingDim != Features.EmbeddingDim)
        {
            throw new MilException(
                $"The model expects {Features.EmbeddingDim}-d embeddings from {Features.ExtractorId} but these are {features.EmbeddingDim}-d: the features table is inconsistent with its extractor");
        }
    }

    /// <exception cref="ArgumentException">A field is empty or inconsistent with the task.</exception>
    internal void Validate(string paramName)
    {
        if (string.IsNullOrWhiteSpace(HeadKind)) throw new ArgumentException("Head kind is empty", paramName);
        if (HeadConfig.ValueKind != JsonValueKind.Object) throw new ArgumentException($"Head config must be a JSON object, not {HeadConfig.ValueKind}", paramName);
        if (Training.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined))
        {
            throw new ArgumentException($"Training settings must be a JSON object, not {Training.ValueKind}", paramName);
        }
        if (Task == MilTask.Classify && ClassNames.Count < 2) throw new ArgumentException($"Classification needs at least 2 class names, got {ClassNames.Count}", paramName);
        if (Task == MilTask.Survival && ClassNames.Count != 0) throw new ArgumentException("Survival models have no class names", paramName);
        ArgumentOutOfRangeException.ThrowIfLessThan(Features.EmbeddingDim, 1, paramName);
    }
}

/// <summary>One cross-validation fold's outcome: its sizes, the epochs training ran (early stopping) and its test metrics.</summary>
public sealed record FoldSummary(int Fold, int TrainSlides, int ValidationSlides, int TestSlides, int Epochs, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// How a model was evaluated: per-fold metrics, their mean ± sd across folds, bootstrap intervals (usually on the pooled
/// out-of-fold predictions), the epochs of the final model and the slides left out of training.
/// </summary>
public sealed record MilTrainingSummary(
    IReadOnlyList<FoldSummary> Folds,
    IReadOnlyDictionary<string, MeanSd> AcrossFolds,
    IReadOnlyDictionary<string, ConfidenceInterval> ConfidenceIntervals,
    int FinalEpochs,
    IReadOnlyList<SkippedSlide> Skipped)
{
    /// <summary>Builds a summary whose <see cref="AcrossFolds"/> is the mean ± sd of each metric the folds report.</summary>
    public static MilTrainingSummary FromFolds(IReadOnlyList<FoldSummary> folds, IReadOnlyDictionary<string, ConfidenceInterval> confidenceIntervals,
        int finalEpochs, IReadOnlyList<SkippedSlide> skipped)
    {
        Dictionary<string, MeanSd> across = folds.SelectMany(f => f.Metrics.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .ToDictionary(metric => metric, metric => MeanSd.Of(folds.Select(f => f.Metrics.TryGetValue(metric, out double v) ? v : double.NaN)), StringComparer.Ordinal);
        return new MilTrainingSummary(folds, across, confidenceIntervals, finalEpochs, skipped);
    }
}

/// <summary>A trained head as a model folder holds it: configuration, weights and, when training evaluated it, a summary.</summary>
public sealed record MilModel(MilModelConfig Config, IReadOnlyList<NamedTensor> Weights, MilTrainingSummary? Summary = null);
