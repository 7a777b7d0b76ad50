namespace PathoFed.Mil.Evaluation;

/// <summary>
/// Slide-level classification metrics. Undefined values (an AUC with one class absent) are <see cref="double.NaN"/>
/// rather than exceptions, because bootstrap resamples hit them routinely and skip them.
/// </summary>
public static class ClassificationMetrics
{
    /// <summary>
    /// ROC AUC as the Mann-Whitney statistic: the probability that a random positive scores above a random negative,
    /// ties counting one half (midranks), which equals the trapezoidal area under the ROC curve.
    /// </summary>
    /// <returns>The AUC, or NaN when there are no positives or no negatives.</returns>
    public static double RocAuc(ReadOnlySpan<double> scores, ReadOnlySpan<bool> isPositive)
    {
        RequireSameLength(scores.Length, isPositive.Length, nameof(isPositive));
        int n = scores.Length;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        double[] sortKeys = scores.ToArray();
        Array.Sort(sortKeys, order);

        double positiveRankSum = 0;
        long positives = 0;
        for (int start = 0; start < n;)
        {
            int end = start;
            while (end + 1 < n && sortKeys[end + 1] == sortKeys[start]) end++;
            double midrank = (start + end) / 2.0 + 1; // 1-based average rank of the tied run
            for (int k = start; k <= end; k++)
            {
                if (isPositive[order[k]]) { positiveRankSum += midrank; positives++; }
            }
            start = end + 1;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    // One class against the rest, scored by that class's column.
    private static double BinaryAuc(IReadOnlyList<int> classIndex, IReadOnlyList<double[]> scores, int positiveClass)
    {
        double[] column = new double[scores.Count];
        bool[] positive = new bool[scores.Count];
        for (int i = 0; i < column.Length; i++)
        {
            column[i] = scores[i][positiveClass];
            positive[i] = classIndex[i] == positiveClass;
        }
        return RocAuc(column, positive);
    }

    /// <summary>
    /// AUC from per-class scores (row per slide, column per class): binary AUC of class 1 for two classes, else the
    /// unweighted mean of one-vs-rest AUCs (macro), as scikit-learn's <c>roc_auc_score(multi_class="ovr")</c>.
    /// </summary>
    /// <returns>The AUC, or NaN when any class has no examples (its one-vs-rest AUC is undefined).</returns>
    public static double RocAuc(IReadOnlyList<int> classIndex, IReadOnlyList<double[]> scores, int classCount)
    {
        RequireShape(classIndex, scores, classCount);
        if (classCount == 2) return BinaryAuc(classIndex, scores, positiveClass: 1);
        double sum = 0;
        for (int c = 0; c < classCount; c++) sum += BinaryAuc(classIndex, scores, c);
        return sum / classCount; // NaN propagates: a macro mean over a missing class is undefined
    }

    /// <summary>The mean recall over the classes that occur in <paramref name="truth"/> (scikit-learn's balanced_accuracy_score).</summary>
    public static double BalancedAccuracy(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classCount)
    {
        ConfusionCounts counts = Count(truth, predicted, classCount);
        double sum = 0;
        int present = 0;
        for (int c = 0; c < classCount; c++)
        {
            int actual = counts.TruePositives[c] + counts.FalseNegatives[c];
            if (actual == 0) continue;
            sum += (double)counts.TruePositives[c] / actual;
            present++;
        }
        return present == 0 ? double.NaN : sum / present;
    }

    /// <summary>
    /// F1: for two classes, of the positive class (index 1); otherwise the macro mean over classes that occur in
    /// truth or prediction, a class with no true positives scoring 0 (scikit-learn's f1_score with zero_division=0).
    /// </summary>
    public static double F1(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classCount)
    {
        ConfusionCounts counts = Count(truth, predicted, classCount);
        if (classCount == 2) return F1Of(counts, 1);
        double sum = 0;
        int present = 0;
        for (int c = 0; c < classCount; c++)
        {
            if (counts.TruePositives[c] + counts.FalseNegatives[c] + counts.FalsePositives[c] == 0) continue;
            sum += F1Of(counts, c);
            present++;
        }
        return present == 0 ? double.NaN : sum / present;
    }

    /// <summary>The predicted class of each row: the index of its highest score (the first on ties).</summary>
    public static int[] ArgMax(IReadOnlyList<double[]> scores)
    {
        var predicted = new int[scores.Count];
        for (int i = 0; i < predicted.Length; i++)
        {
            double[] row = scores[i];
            int best = 0;
            for (int c = 1; c < row.Length; c++) if (row[c] > row[best]) best = c;
            predicted[i] = best;
        }
        return predicted;
    }

    private static double F1Of(ConfusionCounts counts, int c)
    {
        int denominator = 2 * counts.TruePositives[c] + counts.FalsePositives[c] + counts.FalseNegatives[c];
        return denominator == 0 ? 0 : 2.0 * counts.TruePositives[c] / denominator;
    }

    private static ConfusionCounts Count(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classCount)
    {
        RequireSameLength(truth.Count, predicted.Count, nameof(predicted));
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        var counts = new ConfusionCounts(new int[classCount], new int[classCount], new int[classCount]);
        for (int i = 0; i < truth.Count; i++)
        {
            int t = RequireClass(truth[i], classCount, nameof(truth)), p = RequireClass(predicted[i], classCount, nameof(predicted));
            if (t == p) counts.TruePositives[t]++;
            else { counts.FalseNegatives[t]++; counts.FalsePositives[p]++; }
        }
        return counts;
    }

    private static void RequireShape(IReadOnlyList<int> classIndex, IReadOnlyList<double[]> scores, int classCount)
    {
        RequireSameLength(classIndex.Count, scores.Count, nameof(scores));
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        for (int i = 0; i < scores.Count; i++)
        {
            if (scores[i].Length != classCount)
            {
                throw new ArgumentException($"Score row {i} has {scores[i].Length} values for {classCount} classes", nameof(scores));
            }
            RequireClass(classIndex[i], classCount, nameof(classIndex));
        }
    }

    private static int RequireClass(int value, int classCount, string name) =>
        value >= 0 && value < classCount ? value : throw new ArgumentOutOfRangeException(name, value, $"class index must lie in [0, {classCount})");

    internal static void RequireSameLength(int expected, int actual, string name)
    {
        if (expected != actual) throw new ArgumentException($"Length of {name} ({actual}) must match the number of examples ({expected})", name);
    }

    private sealed record ConfusionCounts(int[] TruePositives, int[] FalsePositives, int[] FalseNegatives);
}
