using PathoFed.Mil.Evaluation;

namespace PathoFed.Mil.Tests.Evaluation;

public sealed class SurvivalMetricsTests
{
    [Fact]
    public void ConcordanceIndex_CensoringAndTies_HandWorked()
    {
        // A(1, event, .9) B(2, event, .5) C(2, censored, .5) D(2, event, .7) E(3, censored, .1).
        // Comparable pairs, the earlier member an event: A with B, C, D, E (4 concordant);
        // B with C (same time, C censored: comparable, equal risk 0.5) and E (1); D with C (1) and E (1).
        // B with D (two events at one time) is not comparable; C and E start no pair.
        // C = (4 + 1.5 + 2) / 8 = 0.9375, what lifelines.utils.concordance_index(times, -risk, events) gives.
        double c = SurvivalMetrics.ConcordanceIndex([1, 2, 2, 2, 3], [true, true, false, true, false], [0.9, 0.5, 0.5, 0.7, 0.1]);
        Assert.Equal(0.9375, c, 12);
    }

    [Fact]
    public void ConcordanceIndex_CensoredBeforeEvent_NotComparable()
    {
        // Censored at 1 says nothing against a relapse at 2; only (event 2, censored 3) counts, and it is discordant.
        double c = SurvivalMetrics.ConcordanceIndex([1, 2, 3], [false, true, false], [0.0, 0.1, 0.9]);
        Assert.Equal(0.0, c);
    }

    [Fact]
    public void ConcordanceIndex_PerfectReversedAndConstant()
    {
        double[] time = [5, 1, 3, 4];
        bool[] events = [true, true, true, false];
        Assert.Equal(1.0, SurvivalMetrics.ConcordanceIndex(time, events, [0.1, 0.9, 0.5, 0.2]));
        Assert.Equal(0.0, SurvivalMetrics.ConcordanceIndex(time, events, [0.9, 0.1, 0.5, 0.8]));
        Assert.Equal(0.5, SurvivalMetrics.ConcordanceIndex(time, events, [1, 1, 1, 1]));
    }

    [Fact]
    public void ConcordanceIndex_NoEvents_IsNaN()
    {
        Assert.True(double.IsNaN(SurvivalMetrics.ConcordanceIndex([1, 2], [false, false], [0.2, 0.1])));
    }

    [Fact]
    public void ConcordanceIndex_LengthMismatch_SaysWhich()
    {
        var error = Assert.Throws<ArgumentException>(() => SurvivalMetrics.ConcordanceIndex([1, 2], [true, false], [0.2]));
        Assert.Contains("Length of risk (1) must match the number of examples (2)", error.Message);
    }
}
