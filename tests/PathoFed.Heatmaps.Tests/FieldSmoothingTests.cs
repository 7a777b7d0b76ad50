using PathoFed.Slides.Patching;

namespace PathoFed.Heatmaps.Tests;

public sealed class FieldSmoothingTests
{
    /// <summary>A 6 x 6 grid with data in the left 3 columns only (value per cell from <paramref name="value"/>).</summary>
    private static ScoreField LeftHalf(Func<int, int, float> value)
    {
        var patches = new List<PatchCoordinate>();
        var scores = new List<float>();
        for (int row = 0; row < 6; row++)
        {
            for (int column = 0; column < 3; column++)
            {
                patches.Add(new PatchCoordinate(column * 10, row * 10, 1));
                scores.Add(value(column, row));
            }
        }
        return ScoreField.FromPatches(patches, [.. scores], 10, 10, 60, 60);
    }

    [Fact]
    public void Smooth_NoDataCells_StayWithoutData()
    {
        ScoreField smoothed = FieldSmoothing.Smooth(LeftHalf((c, r) => c + r), sigmaCells: 1.5);

        for (int row = 0; row < 6; row++)
        {
            for (int column = 0; column < 6; column++) Assert.Equal(column < 3, smoothed.HasData(column, row));
        }
    }

    [Fact]
    public void Smooth_ConstantData_StaysConstantBecauseNoDataDoesNotBleedIn()
    {
        ScoreField smoothed = FieldSmoothing.Smooth(LeftHalf((_, _) => 0.8f), sigmaCells: 2);

        for (int row = 0; row < 6; row++)
        {
            for (int column = 0; column < 3; column++) Assert.Equal(0.8f, smoothed[column, row], 5);
        }
    }

    [Fact]
    public void Smooth_Spike_SpreadsToNeighboursAndLosesHeight()
    {
        ScoreField smoothed = FieldSmoothing.Smooth(LeftHalf((c, r) => c == 1 && r == 2 ? 1 : 0), sigmaCells: 1);

        Assert.InRange(smoothed[1, 2], 0.05f, 0.9f);
        Assert.InRange(smoothed[0, 2], 0.01f, smoothed[1, 2]);
        Assert.InRange(smoothed[1, 5], 0f, 0.01f);
    }
}
