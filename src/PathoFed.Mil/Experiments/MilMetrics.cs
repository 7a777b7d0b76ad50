using PathoFed.Mil.Data;
using PathoFed.Mil.Evaluation;

namespace PathoFed.Mil.Experiments;

/// <summary>The metrics reported for a task, by name: auc, balanced_accuracy, f1 for classification; c_index for survival.</summary>
public static class MilMetrics
{
    public const string Auc = "auc", BalancedAccuracy = "balanced_accuracy", F1 = "f1", ConcordanceIndex = "c_index";

    public static Dictionary<string, double> Compute(MilDataset dataset, IReadOnlyList<OutOfFoldPrediction> predictions)
    {
        int[] all = Enumerable.Range(0, predictions.Count).ToArray();
        return dataset.Task == MilTask.Survival
            ? new Dictionary<string, double> { [ConcordanceIndex] = CIndex(predictions, all) }
            : new Dictionary<string, double>
            {
                [Auc] = AucOf(predictions, all, dataset.ClassNames.Count),
                [BalancedAccuracy] = ClassificationMetrics.BalancedAccuracy(Truth(predictions, all), Predicted(predictions, all), dataset.ClassNames.Count),
                [F1] = ClassificationMetrics.F1(Truth(predictions, all), Predicted(predictions, all), dataset.ClassNames.Count),
            };
    }

    /// <summary>Percentile intervals of each metric over slides resampled with replacement.</summary>
    public static Dictionary<string, ConfidenceInterval> BootstrapIntervals(MilDataset dataset, IReadOnlyList<OutOfFoldPrediction> predictions, int resamples, int seed)
    {
        int n = predictions.Count, classes = dataset.ClassNames.Count;
        if (dataset.Task == MilTask.Survival)
        {
            return new() { [ConcordanceIndex] = Bootstrap.PercentileInterval(n, rows => CIndex(predictions, rows), seed, resamples) };
        }
        return new()
        {
            [Auc] = Bootstrap.PercentileInterval(n, rows => AucOf(predictions, rows, classes), seed, resamples),
            [BalancedAccuracy] = Bootstrap.PercentileInterval(n, rows => ClassificationMetrics.BalancedAccuracy(Truth(predictions, rows), Predicted(predictions, rows), classes), seed, resamples),
            [F1] = Bootstrap.PercentileInterval(n, rows => ClassificationMetrics.F1(Truth(predictions, rows), Predicted(predictions, rows), classes), seed, resamples),
        };
    }

    private static double AucOf(IReadOnlyList<OutOfFoldPrediction> p, int[] rows, int classes) =>
        ClassificationMetrics.RocAuc(Truth(p, rows), rows.Select(r => Array.ConvertAll(p[r].Prediction.Probabilities, v => (double)v)).ToArray(), classes);

    private static int[] Truth(IReadOnlyList<OutOfFoldPrediction> p, int[] rows) => rows.Select(r => p[r].Example.Target.ClassIndex).ToArray();

    private static int[] Predicted(IReadOnlyList<OutOfFoldPrediction> p, int[] rows) =>
        ClassificationMetrics.ArgMax(rows.Select(r => Array.ConvertAll(p[r].Prediction.Probabilities, v => (double)v)).ToArray());

    private static double CIndex(IReadOnlyList<OutOfFoldPrediction> p, int[] rows) =>
        SurvivalMetrics.ConcordanceIndex(
            rows.Select(r => p[r].Example.Target.Time).ToArray(),
            rows.Select(r => p[r].Example.Target.Event).ToArray(),
            rows.Select(r => (double)p[r].Prediction.Risk!.Value).ToArray());
}
