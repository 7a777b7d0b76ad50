using PathoFed.Mil.Evaluation;

namespace PathoFed.Mil.Tests.Evaluation;

public sealed class ClassificationMetricsTests
{
    [Fact]
    public void RocAuc_SklearnDocumentationExample_Is075()
    {
        // scikit-learn's roc_auc_score docs: y_true [0,0,1,1], scores [0.1,0.4,0.35,0.8] -> 0.75.
        // By hand: positives 0.35 and 0.8 against negatives 0.1 and 0.4 win 1 + 2 of 4 pairs.
        Assert.Equal(0.75, ClassificationMetrics.RocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 12);
    }

    [Fact]
    public void RocAuc_TiedScores_CountHalf()
    {
        // Positive 0.5 ties both negatives (2 x 0.5), positive 0.9 beats both: 3 of 4.
        Assert.Equal(0.75, ClassificationMetrics.RocAuc([0.5, 0.5, 0.5, 0.9], [false, true, false, true]), 12);
        Assert.Equal(0.5, ClassificationMetrics.RocAuc([0.3, 0.3, 0.3], [true, false, true]), 12);
    }

    [Fact]
    public void RocAuc_PerfectAndReversed()
    {
        Assert.Equal(1.0, ClassificationMetrics.RocAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true]));
        Assert.Equal(0.0, ClassificationMetrics.RocAuc([0.9, 0.8, 0.2, 0.1], [false, false, true, true]));
    }

    [Fact]
    public void RocAuc_OneClassOnly_IsNaN()
    {
        Assert.True(double.IsNaN(ClassificationMetrics.RocAuc([0.1, 0.9], [true, true])));
    }

    [Fact]
    public void RocAuc_TwoClassScores_UsesClassOneColumn()
    {
        double[][] scores = [[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]];
        Assert.Equal(0.75, ClassificationMetrics.RocAuc([0, 0, 1, 1], scores, 2), 12);
    }

    [Fact]
    public void RocAuc_ThreeClasses_IsMacroOneVsRest()
    {
        // One-vs-rest AUCs counted pair by pair: class 0 11/12, class 1 13/15, class 2 14/15; macro mean 0.90556.
        int[] truth = [0, 1, 2, 0, 1, 2, 2, 1];
        double[][] scores =
        [
            [0.7, 0.2, 0.1], [0.3, 0.4, 0.3], [0.2, 0.2, 0.6], [0.4, 0.5, 0.1],
            [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.5, 0.1, 0.4], [0.2, 0.4, 0.4],
        ];
        Assert.Equal((11.0 / 12 + 13.0 / 15 + 14.0 / 15) / 3, ClassificationMetrics.RocAuc(truth, scores, 3), 12);
    }

    [Fact]
    public void RocAuc_ThreeClassesOneAbsent_IsNaN()
    {
        Assert.True(double.IsNaN(ClassificationMetrics.RocAuc([0, 1, 1], [[0.5, 0.3, 0.2], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]], 3)));
    }

    [Fact]
    public void RocAuc_ScoreRowOfWrongWidth_NamesRow()
    {
        var error = Assert.Throws<ArgumentException>(() => ClassificationMetrics.RocAuc([0, 1], [[0.5, 0.5], [0.5]], 2));
        Assert.Contains("Score row 1 has 1 values for 2 classes", error.Message);
    }

    [Fact]
    public void BalancedAccuracy_SklearnDocumentationExample_Is0625()
    {
        // scikit-learn docs: recall of class 0 is 3/4, of class 1 is 1/2.
        Assert.Equal(0.625, ClassificationMetrics.BalancedAccuracy([0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1], 2), 12);
    }

    [Fact]
    public void F1_Binary_IsOfClassOne()
    {
        // tp 2, fp 0, fn 1: 2*2 / (2*2 + 0 + 1) = 0.8.
        Assert.Equal(0.8, ClassificationMetrics.F1([0, 1, 1, 0, 1], [0, 1, 0, 0, 1], 2), 12);
    }

    [Fact]
    public void F1_MultiClass_SklearnMacroExample()
    {
        // scikit-learn docs: f1_score([0,1,2,0,1,2], [0,2,1,0,0,1], average='macro') = 0.2666...
        Assert.Equal(0.8 / 3, ClassificationMetrics.F1([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], 3), 12);
    }

    [Fact]
    public void ArgMax_FirstOnTies()
    {
        Assert.Equal([1, 0, 2], ClassificationMetrics.ArgMax([[0.2, 0.8], [0.5, 0.5, 0.0], [0.1, 0.2, 0.7]]));
    }

    [Fact]
    public void BalancedAccuracy_ClassOutOfRange_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationMetrics.BalancedAccuracy([0, 2], [0, 1], 2));
        Assert.Contains("class index must lie in [0, 2)", error.Message);
    }
}
