using PathoFed.Mil.Data;
using PathoFed.Mil.Evaluation;

namespace PathoFed.Heatmaps.Reports;

/// <summary>Accuracy, AUC and the confusion table of the scored classification slides that carry a known label.</summary>
internal static class ReportMetrics
{
    /// <returns>Null when the task is survival or no scored slide has a label.</returns>
    public static BatchReportMetrics? Compute(BatchReportRun run, IReadOnlyList<BatchReportSlide> slides)
    {
        if (run.Task != MilTask.Classify) return null;
        int classCount = run.ClassNames.Count;
        var truth = new List<int>();
        var predicted = new List<int>();
        var scores = new List<double[]>();
        int unknown = 0;
        foreach (BatchReportSlide slide in slides)
        {
            if (slide.Status != SlideReportStatus.Scored || slide.TrueLabel is not { } label) continue;
            int t = run.IndexOfClass(label);
            if (t < 0) { unknown++; continue; }
            truth.Add(t);
            predicted.Add(PredictedIndex(run, slide));
            double[] row = new double[classCount];
            for (int c = 0; c < classCount; c++) row[c] = slide.Probabilities![c];
            scores.Add(row);
        }
        if (truth.Count == 0 && unknown == 0) return null;

        var confusion = new int[classCount][];
        for (int c = 0; c < classCount; c++) confusion[c] = new int[classCount];
        int correct = 0;
        for (int i = 0; i < truth.Count; i++)
        {
            confusion[truth[i]][predicted[i]]++;
            if (truth[i] == predicted[i]) correct++;
        }
        bool any = truth.Count > 0;
        return new BatchReportMetrics(
            truth.Count,
            correct,
            any ? (double)correct / truth.Count : double.NaN,
            any ? ClassificationMetrics.BalancedAccuracy(truth, predicted, classCount) : double.NaN,
            any ? RocAuc(run, truth, scores) : double.NaN,
            run.ClassNames,
            confusion,
            unknown);
    }

    /// <summary>
    /// Two classes: the AUC of the class that ranks the table (the positive class), so the number and the ranking speak of the
    /// same class. More: the macro mean of one-vs-rest.
    /// </summary>
    private static double RocAuc(BatchReportRun run, List<int> truth, List<double[]> scores)
    {
        int classCount = run.ClassNames.Count;
        if (classCount != 2) return ClassificationMetrics.RocAuc(truth, scores, classCount);
        int positive = run.RankingClassIndex;
        double[] column = new double[truth.Count];
        bool[] isPositive = new bool[truth.Count];
        for (int i = 0; i < truth.Count; i++) (column[i], isPositive[i]) = (scores[i][positive], truth[i] == positive);
        return ClassificationMetrics.RocAuc(column, isPositive);
    }

    /// <summary>The slide's predicted class: the one it names, else its highest probability (the first on ties, as scoring does).</summary>
    public static int PredictedIndex(BatchReportRun run, BatchReportSlide slide)
    {
        if (slide.PredictedClass is { } name) return run.IndexOfClass(name);
        IReadOnlyList<float> p = slide.Probabilities!;
        int best = 0;
        for (int c = 1; c < p.Count; c++) if (p[c] > p[best]) best = c;
        return best;
    }
}
