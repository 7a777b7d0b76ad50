using OpenCvSharp;
using PathoFed.Slides.Patching;
using PathoFed.Slides.Tissue;

namespace PathoFed.Slides.Tests.Patching;

public sealed class PatchGridTests
{
    [Fact]
    public void Resolve_TargetMppOnAperio_ScalesByTheSlidesMpp()
    {
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        var g = PatchGridGeometry.Resolve(slide.Metadata, slide.Path, new PatchGridOptions { TargetMpp = 1.0, PatchSizePx = 224 });
        Assert.Equal(1.0 / 0.499, g.Level0PerOutputPx, 9);
        Assert.Equal(449, g.Level0PatchSize);   // 224 * 2.004 = 448.9
        Assert.Equal(449, g.Level0Stride);
        Assert.Equal(0, g.ReadLevel);
        Assert.Equal(449, g.ReadSizePx);
    }

    [Theory]
    [InlineData(20.0, 256)]
    [InlineData(10.0, 512)]
    [InlineData(5.0, 1024)]
    public void Resolve_Magnification_UsesTheObjectivePower(double magnification, int expectedLevel0Size)
    {
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        var g = PatchGridGeometry.Resolve(slide.Metadata, slide.Path, new PatchGridOptions { TargetMpp = null, TargetMagnification = magnification });
        Assert.Equal(expectedLevel0Size, g.Level0PatchSize);
        Assert.Equal(0.499 * 20 / magnification, g.TargetMpp, 9);
    }

    [Fact]
    public void Resolve_MagnificationWithoutObjectivePower_Uses10MicronsPerMagnification()
    {
        using ISlide slide = SlideReader.Open(TestSlides.BoxesTiff, new SlideOpenOptions(0.25));
        var g = PatchGridGeometry.Resolve(slide.Metadata, slide.Path, new PatchGridOptions { TargetMpp = null, TargetMagnification = 20, PatchSizePx = 32 });
        Assert.Equal(0.5, g.TargetMpp, 9);
        Assert.Equal(64, g.Level0PatchSize);
    }

    [Theory]
    [InlineData(0.5, 0)]    // scale 2: level 1 (downsample 2)
    [InlineData(1.0, 1)]    // scale 4: level 2's downsample is 4.016 > 4, so level 1
    [InlineData(1.01, 2)]   // scale 4.04: level 2
    [InlineData(2.1, 3)]    // scale 8.4: level 3 (8.09)
    public void Resolve_ReadsFromTheFinestLevelNotFinerThanNeeded(double targetMpp, int expectedLevelIndex)
    {
        int[] expectedLevels = [1, 1, 2, 3];
        using ISlide slide = SlideReader.Open(TestSlides.BoxesTiff, new SlideOpenOptions(0.25));
        var g = PatchGridGeometry.Resolve(slide.Metadata, slide.Path, new PatchGridOptions { TargetMpp = targetMpp, PatchSizePx = 16 });
        Assert.Equal(expectedLevels[expectedLevelIndex], g.ReadLevel);
        Assert.Equal((int)Math.Round(g.Level0PatchSize / slide.Metadata.Levels[g.ReadLevel].Downsample), g.ReadSizePx);
    }

    [Fact]
    public void Resolve_TargetFinerThanTheScan_IsRefusedNamingTheSlide()
    {
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        var error = Assert.Throws<ArgumentException>(() => PatchGridGeometry.Resolve(slide.Metadata, slide.Path, new PatchGridOptions { TargetMpp = 0.25 }));
        Assert.Contains("small_HE.svs", error.Message);
        Assert.Contains("upsample", error.Message);
    }

    [Fact]
    public void Resolve_SlideWithoutMpp_ThrowsMissingMppWithTheFix()
    {
        using ISlide slide = SlideReader.Open(TestSlides.BoxesTiff);
        var error = Assert.Throws<MissingMppException>(() => PatchGridGeometry.Resolve(slide.Metadata, slide.Path, PatchGridOptions.Default));
        Assert.Contains("boxes.tiff", error.Message);
        Assert.Contains("--slide-mpp", error.Message);
    }

    [Theory]
    [InlineData(256, 256, 0.5)]
    [InlineData(256, -1, 0.5)]
    [InlineData(4, 0, 0.5)]
    [InlineData(256, 0, 1.5)]
    public void Validate_OutOfRange_Throws(int patch, int overlap, double minTissue) =>
        Assert.ThrowsAny<ArgumentException>(() => new PatchGridOptions { PatchSizePx = patch, OverlapPx = overlap, MinTissueFraction = minTissue }.Validate());

    [Fact]
    public void Validate_BothMppAndMagnification_Throws() =>
        Assert.Throws<ArgumentException>(() => new PatchGridOptions { TargetMpp = 0.5, TargetMagnification = 20 }.Validate());

    [Fact]
    public void Plan_AllTissue_KeepsEveryFullPatchInRowMajorOrder()
    {
        SlideMetadata slide = Metadata(10_000, 7_000, mpp: 0.5);
        using TissueMask tissue = FullMask(10_000, 7_000, 10);
        PatchGrid grid = PatchGrid.Plan(slide, "synthetic", tissue, new PatchGridOptions { TargetMpp = 0.5, PatchSizePx = 256 });

        int columns = (10_000 - 256) / 256 + 1, rows = (7_000 - 256) / 256 + 1; // 39 x 27
        Assert.Equal(columns * rows, grid.Patches.Count);
        Assert.Equal(grid.Candidates, grid.Patches.Count);
        Assert.Equal(new PatchCoordinate(0, 0, 1f), grid.Patches[0]);
        Assert.Equal((256L, 0L), (grid.Patches[1].Level0X, grid.Patches[1].Level0Y));
        Assert.Equal((0L, 256L), (grid.Patches[columns].Level0X, grid.Patches[columns].Level0Y));
        Assert.All(grid.Patches, p => Assert.True(p.Level0X + 256 <= 10_000 && p.Level0Y + 256 <= 7_000));
    }

    [Fact]
    public void Plan_Overlap_ShortensTheStride()
    {
        SlideMetadata slide = Metadata(4_000, 4_000, mpp: 0.25);
        using TissueMask tissue = FullMask(4_000, 4_000, 8);
        PatchGrid grid = PatchGrid.Plan(slide, "synthetic", tissue, new PatchGridOptions { TargetMpp = 0.5, PatchSizePx = 256, OverlapPx = 64 });

        Assert.Equal(512, grid.Geometry.Level0PatchSize);
        Assert.Equal(384, grid.Geometry.Level0Stride);
        int perSide = (4_000 - 512) / 384 + 1;
        Assert.Equal(perSide * perSide, grid.Patches.Count);
        Assert.Equal(384, grid.Patches[1].Level0X);
    }

    [Fact]
    public void Plan_HalfTissue_KeepsPatchesByTheirTissueFraction()
    {
        // Left half tissue: columns fully left are kept at 0.5, the straddling column at its fraction.
        SlideMetadata slide = Metadata(2_000, 1_000, mpp: 0.5);
        using var mask = new Mat(100, 200, MatType.CV_8UC1, Scalar.Black);
        mask[new Rect(0, 0, 105, 100)].SetTo(Scalar.White); // tissue up to x = 1050 level-0
        using var tissue = new TissueMask(mask.Clone(), 10, 10, [], 0);

        PatchGrid half = PatchGrid.Plan(slide, "synthetic", tissue, new PatchGridOptions { PatchSizePx = 200, MinTissueFraction = 0.5 });
        PatchGrid any = PatchGrid.Plan(slide, "synthetic", tissue, new PatchGridOptions { PatchSizePx = 200, MinTissueFraction = 0.01 });
        PatchGrid all = PatchGrid.Plan(slide, "synthetic", tissue, new PatchGridOptions { PatchSizePx = 200, MinTissueFraction = 0 });

        Assert.All(half.Patches, p => Assert.True(p.Level0X + 200 <= 1_050 + 100));
        Assert.Equal(5 * 5, half.Patches.Count);     // columns x = 0..800 are all tissue, x = 1000 has 0.25; rows y = 0..800
        Assert.Contains(any.Patches, p => p.Level0X == 1_000 && Math.Abs(p.TissueFraction - 0.25f) < 1e-6);
        Assert.Equal(all.Candidates, all.Patches.Count);
    }

    [Fact]
    public void PatchReader_CoarserLevel_ReadsTheLevelDirectly()
    {
        using ISlide slide = SlideReader.Open(TestSlides.BoxesTiff, new SlideOpenOptions(0.25));
        var g = PatchGridGeometry.Resolve(slide.Metadata, slide.Path, new PatchGridOptions { TargetMpp = 0.5, PatchSizePx = 32 });
        using var reader = new PatchReader(slide, g);
        using var patch = new Mat();
        reader.Read(64, 40, patch);
        using Mat expected = slide.ReadRegion(64, 40, 1, 32, 32);

        Assert.Equal((1, 32), (g.ReadLevel, g.ReadSizePx));
        Assert.Equal(0, Cv2.Norm(patch, expected, NormTypes.INF));
    }

    [Fact]
    public void PatchReader_BetweenLevels_ShrinksTheFinerLevelWithAreaInterpolation()
    {
        using ISlide slide = SlideReader.Open(TestSlides.BoxesTiff, new SlideOpenOptions(0.25));
        var g = PatchGridGeometry.Resolve(slide.Metadata, slide.Path, new PatchGridOptions { TargetMpp = 0.375, PatchSizePx = 40 });
        using var reader = new PatchReader(slide, g);
        using var patch = new Mat();
        reader.Read(100, 60, patch);

        using Mat source = slide.ReadRegion(100, 60, 0, 60, 60);
        using var expected = new Mat();
        Cv2.Resize(source, expected, new Size(40, 40), interpolation: InterpolationFlags.Area);
        Assert.Equal((0, 60), (g.ReadLevel, g.ReadSizePx));
        Assert.Equal((40, 40), (patch.Width, patch.Height));
        Assert.Equal(0, Cv2.Norm(patch, expected, NormTypes.INF));
    }

    private static SlideMetadata Metadata(long width, long height, double mpp) =>
        new("synthetic", [new SlideLevel(width, height, 1)], mpp, mpp, 20, new Dictionary<string, string>(), [], MppSource.Vendor);

    private static TissueMask FullMask(long width, long height, int level0PerPx)
    {
        var mask = new Mat((int)Math.Ceiling(height / (double)level0PerPx), (int)Math.Ceiling(width / (double)level0PerPx), MatType.CV_8UC1, Scalar.White);
        return new TissueMask(mask, level0PerPx, level0PerPx, [], 0);
    }
}
