using OpenCvSharp;
using PathoFed.Slides;
using PathoFed.Slides.Tissue;

namespace PathoFed.Heatmaps.Tests;

/// <summary>Colours and positions in the rendered outputs, on a synthetic glass slide (uniform background).</summary>
public sealed class HeatmapExportRenderingTests(GlassSlideFixture slide) : IClassFixture<GlassSlideFixture>
{
    private const int Px = GlassSlideFixture.PatchPx;
    private const int Columns = GlassSlideFixture.Width / Px, Rows = GlassSlideFixture.Height / Px;

    // OpenCV's jet at 0 and 1, BGR.
    private static readonly Vec3b JetLow = new(128, 0, 0), JetHigh = new(0, 0, 128);

    /// <summary>Rows 3-11 of the grid with score = column index: a left-to-right ramp; rows 0-2 without data.</summary>
    private static List<(long, long, float)> Gradient()
    {
        var patches = new List<(long, long, float)>();
        for (int row = 3; row < Rows; row++)
        {
            for (int column = 0; column < Columns; column++) patches.Add((column * Px, row * Px, column));
        }
        return patches;
    }

    /// <summary>Row 5 only: all zero but column 10.</summary>
    private static List<(long, long, float)> HotPatch() =>
        [.. Enumerable.Range(0, Columns).Select(column => ((long)column * Px, 5L * Px, column == 10 ? 1f : 0f))];

    private async Task<HeatmapResult> RunAsync(TempFolder folder, List<(long, long, float)> patches, Func<HeatmapOptions, HeatmapOptions>? configure = null)
    {
        string scores = await HeatmapTestData.WriteScoresAsync(folder, slide.SlideId, HeatmapTestData.Level0Grid(Px), patches);
        HeatmapOptions options = HeatmapTestData.Options(slide.SlidePath, scores, folder);
        return await HeatmapExport.RunAsync(configure?.Invoke(options) ?? options);
    }

    [Fact]
    public async Task Run_LeftToRightGradient_RawColoursRampMonotonicallyAlongTheJetHues()
    {
        using var folder = new TempFolder();
        HeatmapResult result = await RunAsync(folder, Gradient());

        Assert.Equal((Columns, Rows), (result.Columns, result.Rows));
        using Mat raw = Cv2.ImRead(Path.Combine(result.OutputFolder, "heatmap-raw.png"), ImreadModes.Unchanged);
        Assert.Equal((Columns, Rows, MatType.CV_8UC4), (raw.Width, raw.Height, raw.Type()));
        Assert.Equal(0, raw.At<Vec4b>(1, 5).Item3);
        Assert.Equal(255, raw.At<Vec4b>(6, 5).Item3);

        using var bgr = new Mat();
        using var hsv = new Mat();
        Cv2.CvtColor(raw, bgr, ColorConversionCodes.BGRA2BGR);
        Cv2.CvtColor(bgr, hsv, ColorConversionCodes.BGR2HSV);
        int[] hues = [.. Enumerable.Range(0, Columns).Select(c => (int)hsv.At<Vec3b>(6, c).Item0)];
        // Jet runs blue (hue 120 in OpenCV's 0-180) through cyan, green, yellow to red (0): hue never rises.
        for (int c = 1; c < Columns; c++) Assert.True(hues[c] <= hues[c - 1], $"hue rises from column {c - 1} to {c}: {string.Join(", ", hues)}");
        Assert.Equal(120, hues[0]);
        Assert.Equal(0, hues[^1]);
        Assert.Equal(JetLow, bgr.At<Vec3b>(6, 0));
        Assert.Equal(JetHigh, bgr.At<Vec3b>(6, Columns - 1));

        using Mat scores = Cv2.ImRead(Path.Combine(result.OutputFolder, "heatmap-raw.tif"), ImreadModes.Unchanged);
        Assert.Equal(MatType.CV_32FC1, scores.Type());
        Assert.Equal(7f, scores.At<float>(4, 7));
        Assert.True(float.IsNaN(scores.At<float>(0, 7)));
    }

    [Fact]
    public async Task Run_LeftToRightGradientWithViridis_OverlayBrightensAlongARow()
    {
        using var folder = new TempFolder();
        HeatmapResult result = await RunAsync(folder, Gradient(), o => o with { Colormap = HeatmapColormap.Viridis, Normalization = HeatmapNormalization.Rank });

        using Mat overlay = Cv2.ImRead(Path.Combine(result.OutputFolder, "overlay.png"));
        using var gray = new Mat();
        Cv2.CvtColor(overlay, gray, ColorConversionCodes.BGR2GRAY);
        double level0PerPx = (double)GlassSlideFixture.Width / 2000;
        int y = (int)((6 * Px + Px / 2) / level0PerPx);
        int[] brightness = [.. Enumerable.Range(0, Columns).Select(c => (int)gray.At<byte>(y, (int)((c * Px + Px / 2) / level0PerPx)))];
        // Viridis gets lighter from dark purple to yellow; over uniform glass the blend keeps that order.
        for (int c = 1; c < Columns; c++) Assert.True(brightness[c] > brightness[c - 1], $"not brighter at column {c}: {string.Join(", ", brightness)}");
    }

    [Fact]
    public async Task Run_SingleHotPatch_LandsWhereItLiesInOverlayAndFullResolutionTiff()
    {
        using var folder = new TempFolder();
        HeatmapResult result = await RunAsync(folder, HotPatch(), o => o with { Alpha = 0.5 });
        (int hotX, int hotY) = (10 * Px + Px / 2, 5 * Px + Px / 2);
        (int coldX, int glassY) = (3 * Px + Px / 2, 1 * Px + Px / 2);

        // Overlay: half thumbnail, half jet red on the hot patch; the bare thumbnail where there is no data.
        using (ISlide source = SlideReader.Open(slide.SlidePath))
        using (SlideThumbnail thumbnail = SlideThumbnail.Read(source, GlassSlideFixture.Width / 2000.0))
        using (Mat overlay = Cv2.ImRead(Path.Combine(result.OutputFolder, "overlay.png")))
        {
            Assert.Equal(thumbnail.Image.Width + 150, overlay.Width);
            Point Thumb(int x, int y) => new((int)(x / thumbnail.Level0PerPxX), (int)(y / thumbnail.Level0PerPxY));
            Point hot = Thumb(hotX, hotY), cold = Thumb(coldX, hotY), glass = Thumb(hotX, glassY);
            AssertClose(Blend(thumbnail.Image.At<Vec3b>(hot.Y, hot.X), JetHigh), overlay.At<Vec3b>(hot.Y, hot.X), 2);
            AssertClose(Blend(thumbnail.Image.At<Vec3b>(cold.Y, cold.X), JetLow), overlay.At<Vec3b>(cold.Y, cold.X), 2);
            Assert.Equal(thumbnail.Image.At<Vec3b>(glass.Y, glass.X), overlay.At<Vec3b>(glass.Y, glass.X));
        }

        // heatmap.tif through OpenSlide: the slide's size and resolution, jet red exactly over the hot patch.
        using ISlide heatmap = SlideReader.Open(Path.Combine(result.OutputFolder, "heatmap.tif"));
        Assert.Equal((GlassSlideFixture.Width, GlassSlideFixture.Height), (heatmap.Metadata.Level0Width, heatmap.Metadata.Level0Height));
        Assert.Equal(2, heatmap.Metadata.LevelCount);
        Assert.Equal(0.5, heatmap.Metadata.Mpp!.Value, 6);
        AssertClose(JetHigh, Centre(heatmap, hotX, hotY, level: 0), 12);
        AssertClose(JetLow, Centre(heatmap, coldX, hotY, level: 0), 12);
        AssertClose(new Vec3b(255, 255, 255), Centre(heatmap, hotX, glassY, level: 0), 6);
        // The hot patch's edges: red just inside, blue just outside, both sides.
        AssertClose(JetHigh, Centre(heatmap, 10 * Px + 8, hotY, level: 0), 20);
        AssertClose(JetLow, Centre(heatmap, 10 * Px - 8, hotY, level: 0), 20);
        AssertClose(JetLow, Centre(heatmap, 11 * Px + 8, hotY, level: 0), 20);
        AssertClose(JetHigh, Centre(heatmap, hotX, hotY, level: 1), 12);
    }

    private static Vec3b Blend(Vec3b under, Vec3b colour) =>
        new((byte)Math.Round((under.Item0 + colour.Item0) / 2.0), (byte)Math.Round((under.Item1 + colour.Item1) / 2.0), (byte)Math.Round((under.Item2 + colour.Item2) / 2.0));

    /// <summary>The mean colour of a 5 x 5 pixel block centred on a level-0 point, read at <paramref name="level"/>.</summary>
    private static Vec3b Centre(ISlide slide, long level0X, long level0Y, int level)
    {
        double downsample = slide.Metadata.Levels[level].Downsample;
        using Mat block = slide.ReadRegion(level0X - (long)(2 * downsample), level0Y - (long)(2 * downsample), level, 5, 5);
        Scalar mean = Cv2.Mean(block);
        return new Vec3b((byte)Math.Round(mean.Val0), (byte)Math.Round(mean.Val1), (byte)Math.Round(mean.Val2));
    }

    private static void AssertClose(Vec3b expected, Vec3b actual, int tolerance)
    {
        int worst = Math.Max(Math.Abs(expected.Item0 - actual.Item0), Math.Max(Math.Abs(expected.Item1 - actual.Item1), Math.Abs(expected.Item2 - actual.Item2)));
        Assert.True(worst <= tolerance, $"expected BGR {expected} ± {tolerance}, got {actual}");
    }
}
