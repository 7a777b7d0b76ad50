namespace PathoFed.Heatmaps;

/// <summary>A field scaled to 0-1 and the raw scores its ends stand for (the colour bar's labels).</summary>
public sealed record NormalizedField(ScoreField Field, double LowScore, double HighScore);

/// <summary>Scales a <see cref="ScoreField"/> to 0-1 over its cells with data; cells without data stay NaN.</summary>
public static class ScoreNormalization
{
    /// <summary>Percentiles <see cref="HeatmapNormalization.Percentile"/> clips to.</summary>
    public const double LowPercentile = 1, HighPercentile = 99;

    /// <exception cref="ArgumentException">The field has no cell with data.</exception>
    public static NormalizedField Normalize(ScoreField field, HeatmapNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(field);
        float[] sorted = SortedData(field.Values);
        if (sorted.Length == 0) throw new ArgumentException("the score field has no cell with data", nameof(field));
        return normalization switch
        {
            HeatmapNormalization.Percentile => ClipToPercentiles(field, sorted),
            HeatmapNormalization.Rank => Rank(field, sorted),
            _ => throw new ArgumentOutOfRangeException(nameof(normalization), normalization, "unknown normalisation"),
        };
    }

    /// <summary>Linear interpolation between the closest ranks (numpy's default), p in 0-100.</summary>
    internal static double Percentile(ReadOnlySpan<float> sorted, double p)
    {
        double position = p / 100 * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(sorted.Length - 1, below + 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    private static NormalizedField ClipToPercentiles(ScoreField field, float[] sorted)
    {
        double low = Percentile(sorted, LowPercentile), high = Percentile(sorted, HighPercentile);
        double range = high - low;
        ReadOnlySpan<float> values = field.Values;
        var scaled = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float value = values[i];
            // A flat field has no order to show: every cell sits mid-scale.
            scaled[i] = float.IsNaN(value) ? float.NaN
                : range > 0 ? (float)Math.Clamp((value - low) / range, 0, 1)
                : 0.5f;
        }
        return new NormalizedField(field.With(scaled), low, high);
    }

    /// <summary>(rank − 1) / (n − 1) with tied values sharing their mean rank, so equal scores get equal colours.</summary>
    private static NormalizedField Rank(ScoreField field, float[] sorted)
    {
        ReadOnlySpan<float> values = field.Values;
        var ranked = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float value = values[i];
            if (float.IsNaN(value))
            {
                ranked[i] = float.NaN;
                continue;
            }
            if (sorted.Length == 1)
            {
                ranked[i] = 0.5f;
                continue;
            }
            int first = LowerBound(sorted, value), last = UpperBound(sorted, value) - 1;
            ranked[i] = (float)((first + last) / 2.0 / (sorted.Length - 1));
        }
        return new NormalizedField(field.With(ranked), sorted[0], sorted[^1]);
    }

    private static float[] SortedData(ReadOnlySpan<float> values)
    {
        var data = new List<float>(values.Length);
        foreach (float value in values)
        {
            if (!float.IsNaN(value)) data.Add(value);
        }
        float[] sorted = [.. data];
        Array.Sort(sorted);
        return sorted;
    }

    private static int LowerBound(float[] sorted, float value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private static int UpperBound(float[] sorted, float value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= value) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
