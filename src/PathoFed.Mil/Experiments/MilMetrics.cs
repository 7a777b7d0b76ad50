using PathoFed.Mil.Data;
using PathoFed.Mil.Evaluation;

namespace PathoFed.Mil.Experiments;

/// <summary>The metrics reported for a task, by name: auc, balanced_accuracy, f1 for classification; c_index for survival.</summary>
public static class MilMetrics
{
    public const string Auc = "auc", BalancedAccuracy = "balanced_accuracy", F1 = "f1", ConcordanceIndex = "c_index";

    public static Dictionary<string, double> Compute(MilDataset dataset, IReadOnlyList<OutOfFoldPrediction> predictions)
    {
        var scored = new Scored(predictions, dataset.Task);
        int[] all = Enumerable.Range(0, predictions.Count).ToArray();
        int classes = dataset.ClassNames.Count;
        return dataset.Task == MilTask.Survival
            ? new Dictionary<string, double> { [ConcordanceIndex] = scored.CIndex(all) }
            : new Dictionary<string, double>
            {
                [Auc] = scored.Auc(all, classes),
                [BalancedAccuracy] = scored.BalancedAccuracy(all, classes),
                [F1] = scored.F1(all, classes),
            };
    }

    /// <summary>Percentile intervals of each metric over slides resampled with replacement.</summary>
    public static Dictionary<string, ConfidenceInterval> BootstrapIntervals(MilDataset dataset, IReadOnlyList<OutOfFoldPrediction> predictions, int resamples, int seed)
    {
        var scored = new Scored(predictions, dataset.Task);
        int n = predictions.Count, classes = dataset.ClassNames.Count;
        if (dataset.Task == MilTask.Survival)
        {
            return new() { [ConcordanceIndex] = Bootstrap.PercentileInterval(n, scored.CIndex, seed, resamples) };
        }
        return new()
        {
            [Auc] = Bootstrap.PercentileInterval(n, rows => scored.Auc(rows, classes), seed, resamples),
            [BalancedAccuracy] = Bootstrap.PercentileInterval(n, rows => scored.BalancedAccuracy(rows, classes), seed, resamples),
            [F1] = Bootstrap.PercentileInterval(n, rows => scored.F1(rows, classes), seed, resamples),
        };
    }

    /// <summary>The predictions as metric inputs, converted once; each metric then reads any subset of rows (a bootstrap resample).</summary>
    private sealed class Scored
    {
        private readonly int[] _truth = [], _predicted = [];
        private readonly double[][] _probabilities = [];
        private readonly double[] _time = [], _risk = [];
        private readonly bool[] _event = [];

        public Scored(IReadOnlyList<OutOfFoldPrediction> predictions, MilTask task)
        {
            if (task == MilTask.Survival)
            {
                _time = predictions.Select(p => p.Example.Target.Time).ToArray();
                _event = predictions.Select(p => p.Example.Target.Event).ToArray();
                _risk = predictions.Select(p => (double)p.Prediction.Risk!.Value).ToArray();
                return;
            }
            _truth = predictions.Select(p => p.Example.Target.ClassIndex).ToArray();
            _probabilities = predictions.Select(p => Array.ConvertAll(p.Prediction.Probabilities, v => (double)v)).ToArray();
            _predicted = ClassificationMetrics.ArgMax(_probabilities);
        }

        public double Auc(int[] rows, int classes) => ClassificationMetrics.RocAuc(Pick(_truth, rows), Pick(_probabilities, rows), classes);

        public double BalancedAccuracy(int[] rows, int classes) => ClassificationMetrics.BalancedAccuracy(Pick(_truth, rows), Pick(_predicted, rows), classes);

        public double F1(int[] rows, int classes) => ClassificationMetrics.F1(Pick(_truth, rows), Pick(_predicted, rows), classes);

        public double CIndex(int[] rows) => SurvivalMetrics.ConcordanceIndex(Pick(_time, rows), Pick(_event, rows), Pick(_risk, rows));

        private static T[] Pick<T>(T[] values, int[] rows)
        {
            var picked = new T[rows.Length];
            for (int i = 0; i < rows.Length; i++) picked[i] = values[rows[i]];
            return picked;
        }
    }
}
