namespace PathoFed.Mil.Evaluation;

/// <summary>Mean and sample standard deviation (n − 1) of a metric across folds; NaN folds are left out and not counted.</summary>
public sealed record MeanSd(double Mean, double Sd, int Count)
{
    public static MeanSd Of(IEnumerable<double> values)
    {
        double[] defined = values.Where(v => !double.IsNaN(v)).ToArray();
        if (defined.Length == 0) return new MeanSd(double.NaN, double.NaN, 0);
        double mean = defined.Average();
        double sd = defined.Length < 2 ? 0 : Math.Sqrt(defined.Sum(v => (v - mean) * (v - mean)) / (defined.Length - 1));
        return new MeanSd(mean, sd, defined.Length);
    }

    public override string ToString() => FormattableString.Invariant($"{Mean:F3} ± {Sd:F3}");
}
