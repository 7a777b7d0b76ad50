namespace PathoFed.Mil.Evaluation;

/// <summary>A point estimate and its percentile bootstrap interval; <see cref="Resamples"/> counts the resamples where the metric was defined.</summary>
public sealed record ConfidenceInterval(double Estimate, double Lower, double Upper, double Level, int Resamples);

/// <summary>Percentile bootstrap over examples (slides), seeded so that a report can be reproduced.</summary>
public static class Bootstrap
{
    public const int DefaultResamples = 1000;

    /// <summary>
    /// Resamples the <paramref name="count"/> examples with replacement <paramref name="resamples"/> times, evaluates
    /// <paramref name="metric"/> on each resample's indices, and returns the (1-level)/2 and (1+level)/2 percentiles
    /// (linear interpolation, as numpy's default). Resamples where the metric is NaN (a class drawn out) are left out.
    /// </summary>
    /// <param name="metric">The metric on a list of example indices; called with 0..count-1 for the estimate.</param>
    /// <returns>All NaN bounds when no resample gave a defined value.</returns>
    public static ConfidenceInterval PercentileInterval(int count, Func<int[], double> metric, int seed,
        int resamples = DefaultResamples, double level = 0.95)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 1);
        if (!(level > 0 && level < 1)) throw new ArgumentOutOfRangeException(nameof(level), level, "must lie strictly between 0 and 1");

        double estimate = metric(Enumerable.Range(0, count).ToArray());
        var random = new Random(seed);
        var values = new List<double>(resamples);
        var indices = new int[count];
        for (int r = 0; r < resamples; r++)
        {
            for (int i = 0; i < count; i++) indices[i] = random.Next(count);
            double value = metric(indices);
            if (!double.IsNaN(value)) values.Add(value);
        }
        if (values.Count == 0) return new ConfidenceInterval(estimate, double.NaN, double.NaN, level, 0);
        values.Sort();
        return new ConfidenceInterval(estimate, Percentile(values, (1 - level) / 2), Percentile(values, (1 + level) / 2), level, values.Count);
    }

    /// <summary>The q-quantile of sorted values by linear interpolation between closest ranks.</summary>
    internal static double Percentile(List<double> sorted, double q)
    {
        double position = q * (sorted.Count - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
