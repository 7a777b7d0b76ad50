using PathoFed.Slides.Patching;

namespace PathoFed.Heatmaps.Tests;

public sealed class ScoreFieldTests
{
    [Fact]
    public void FromPatches_HalfOverlap_AveragesThePatchesCoveringEachCell()
    {
        // 256 px patches at a 128 px stride: each patch covers 2 x 2 cells of a 4 x 4 grid.
        PatchCoordinate[] patches = [new(0, 0, 1), new(128, 0, 1), new(0, 128, 1)];
        float[] scores = [1, 2, 6];

        var field = ScoreField.FromPatches(patches, scores, level0PatchSize: 256, level0Stride: 128, level0Width: 512, level0Height: 512);

        Assert.Equal((4, 4, 128), (field.Columns, field.Rows, field.Level0CellSize));
        Assert.Equal(1f, field[0, 0]);               // A
        Assert.Equal(1.5f, field[1, 0]);             // (A + B) / 2
        Assert.Equal(2f, field[2, 0]);               // B
        Assert.Equal(3.5f, field[0, 1]);             // (A + C) / 2
        Assert.Equal(3f, field[1, 1]);               // (A + B + C) / 3
        Assert.Equal(2f, field[2, 1]);               // B
        Assert.Equal(6f, field[0, 2]);               // C
        Assert.Equal(6f, field[1, 2]);               // C
        Assert.False(field.HasData(2, 2));
        for (int row = 0; row < 4; row++) Assert.False(field.HasData(3, row));
    }

    [Fact]
    public void FromPatches_NoOverlap_OneCellPerPatchAndPartialEdgeCells()
    {
        PatchCoordinate[] patches = [new(0, 0, 1), new(200, 100, 1)];

        var field = ScoreField.FromPatches(patches, [4f, 7f], 100, 100, level0Width: 350, level0Height: 220);

        Assert.Equal((4, 3), (field.Columns, field.Rows));
        Assert.Equal(4f, field[0, 0]);
        Assert.Equal(7f, field[2, 1]);
        Assert.Equal(2, field.Values.ToArray().Count(v => !float.IsNaN(v)));
    }

    [Fact]
    public void FromPatches_CountsDiffer_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => ScoreField.FromPatches([new(0, 0, 1)], [1f, 2f], 10, 10, 100, 100));
        Assert.Contains("1 patches but 2 scores", e.Message);
    }
}
