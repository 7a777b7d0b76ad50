using PathoFed.Mil.Evaluation;

namespace PathoFed.Mil.Tests.Evaluation;

public sealed class BootstrapTests
{
    private static readonly double[] Scores = [0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.6, 0.3, 0.9, 0.05];
    private static readonly bool[] Positive = [false, false, true, true, false, true, false, true, true, false];

    private static double Auc(int[] indices) =>
        ClassificationMetrics.RocAuc(indices.Select(i => Scores[i]).ToArray(), indices.Select(i => Positive[i]).ToArray());

    [Fact]
    public void PercentileInterval_SameSeed_SameInterval()
    {
        ConfidenceInterval first = Bootstrap.PercentileInterval(Scores.Length, Auc, seed: 7);
        ConfidenceInterval second = Bootstrap.PercentileInterval(Scores.Length, Auc, seed: 7);
        ConfidenceInterval other = Bootstrap.PercentileInterval(Scores.Length, Auc, seed: 8);

        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
        Assert.Equal(Auc(Enumerable.Range(0, Scores.Length).ToArray()), first.Estimate);
        Assert.InRange(first.Estimate, first.Lower, first.Upper);
        Assert.True(first.Lower < first.Upper);
        Assert.Equal(0.95, first.Level);
    }

    [Fact]
    public void PercentileInterval_ResamplesWithOneClass_LeftOut()
    {
        ConfidenceInterval interval = Bootstrap.PercentileInterval(3, i => i.Contains(0) ? double.NaN : 1.0, seed: 1, resamples: 200);
        // P(index 0 never drawn in 3 draws) = 8/27: about 59 of 200 resamples are defined.
        Assert.InRange(interval.Resamples, 30, 90);
        Assert.Equal((1.0, 1.0), (interval.Lower, interval.Upper));
        Assert.True(double.IsNaN(interval.Estimate));
    }

    [Fact]
    public void PercentileInterval_NeverDefined_NaNBounds()
    {
        ConfidenceInterval interval = Bootstrap.PercentileInterval(4, _ => double.NaN, seed: 1, resamples: 10);
        Assert.Equal(0, interval.Resamples);
        Assert.True(double.IsNaN(interval.Lower) && double.IsNaN(interval.Upper));
    }

    [Theory]
    [InlineData(0.5, 2.5)]
    [InlineData(0.025, 1.075)] // numpy.percentile([1, 2, 3, 4], 2.5)
    [InlineData(0.975, 3.925)]
    [InlineData(0.0, 1.0)]
    [InlineData(1.0, 4.0)]
    public void Percentile_InterpolatesLikeNumpy(double q, double expected)
    {
        Assert.Equal(expected, Bootstrap.Percentile([1, 2, 3, 4], q), 12);
    }

    [Fact]
    public void MeanSd_SampleDeviation_NaNFoldsLeftOut()
    {
        MeanSd summary = MeanSd.Of([1, 2, double.NaN, 3, 4]);
        Assert.Equal(2.5, summary.Mean, 12);
        Assert.Equal(Math.Sqrt(5.0 / 3), summary.Sd, 12);
        Assert.Equal(4, summary.Count);
        Assert.Equal("2.500 ± 1.291", summary.ToString());
        Assert.Equal(new MeanSd(0.7, 0, 1), MeanSd.Of([0.7]));
    }
}
