using PathoFed.Slides.Patching;

namespace PathoFed.Heatmaps.Tests;

public sealed class ScoreNormalizationTests
{
    /// <summary>A row of five cells with an outlier and one cell without data.</summary>
    private static ScoreField Row(params float[] scores)
    {
        PatchCoordinate[] patches = [.. scores.Select((_, i) => new PatchCoordinate(i * 10, 0, 1))];
        return ScoreField.FromPatches(patches, scores, 10, 10, level0Width: (scores.Length + 1) * 10, level0Height: 10);
    }

    [Fact]
    public void Normalize_Rank_SpacesCellsEvenlyWhateverTheOutlier()
    {
        NormalizedField ranked = ScoreNormalization.Normalize(Row(0, 1, 2, 3, 100), HeatmapNormalization.Rank);

        Assert.Equal([0f, 0.25f, 0.5f, 0.75f, 1f], ranked.Field.Values[..5].ToArray());
        Assert.True(float.IsNaN(ranked.Field.Values[5]));
        Assert.Equal((0, 100), (ranked.LowScore, ranked.HighScore));
    }

    [Fact]
    public void Normalize_Percentile_ClipsToP1P99SoTheOutlierSqueezesTheRest()
    {
        NormalizedField clipped = ScoreNormalization.Normalize(Row(0, 1, 2, 3, 100), HeatmapNormalization.Percentile);

        // numpy: percentile([0,1,2,3,100], [1, 99]) = [0.04, 96.12]
        Assert.Equal(0.04, clipped.LowScore, 6);
        Assert.Equal(96.12, clipped.HighScore, 4);
        float[] values = clipped.Field.Values[..5].ToArray();
        Assert.Equal(0f, values[0]);
        Assert.Equal((3 - 0.04) / (96.12 - 0.04), values[3], 5);
        Assert.Equal(1f, values[4]);
        Assert.True(float.IsNaN(clipped.Field.Values[5]));
    }

    [Fact]
    public void Normalize_RankWithTies_TiedCellsShareTheirMeanRank()
    {
        NormalizedField ranked = ScoreNormalization.Normalize(Row(5, 1, 5, 9), HeatmapNormalization.Rank);

        Assert.Equal([0.5f, 0f, 0.5f, 1f], ranked.Field.Values[..4].ToArray());
    }

    [Theory]
    [InlineData(HeatmapNormalization.Percentile)]
    [InlineData(HeatmapNormalization.Rank)]
    public void Normalize_FlatField_PutsEveryCellMidScale(HeatmapNormalization normalization)
    {
        NormalizedField flat = ScoreNormalization.Normalize(Row(0.3f, 0.3f, 0.3f), normalization);

        Assert.All(flat.Field.Values[..3].ToArray(), v => Assert.Equal(0.5f, v));
    }
}
