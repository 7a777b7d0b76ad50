using PathoFed.Mil.Data;
using PathoFed.Mil.Heads;

namespace PathoFed.Mil.Training;

/// <summary>One epoch of training.</summary>
/// <param name="Epoch">1-based.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's batches (FedProx's proximal term excluded).</param>
/// <param name="ValidationLoss">Loss over the whole validation set; null without one.</param>
/// <param name="ValidationMetric">AUC for binary classification, Harrell's C-index for survival; null otherwise.</param>
public sealed record EpochReport(int Epoch, double TrainLoss, double? ValidationLoss, double? ValidationMetric);

/// <summary>A trained head (the best validation epoch's weights when there was a validation set) and its history.</summary>
public sealed record MilTrainingResult(IMilHead Head, IReadOnlyList<EpochReport> History, int BestEpoch);

/// <summary>What a federated site sends back after local epochs: new parameters and how many examples produced them.</summary>
public sealed record MilLocalUpdate(IReadOnlyList<NamedTensor> Parameters, int ExampleCount, IReadOnlyList<EpochReport> History);

/// <summary>A head's prediction for one slide.</summary>
/// <param name="Probabilities">Softmax class probabilities (classification); empty for survival.</param>
/// <param name="Risk">The risk score (survival; higher = earlier relapse); null for classification.</param>
/// <param name="InstanceScores">Per-instance scores for heatmaps, in the bag's instance order.</param>
public sealed record MilPrediction(string SlideId, float[] Probabilities, float? Risk, float[] InstanceScores);
