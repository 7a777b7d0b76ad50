using OpenCvSharp;
using PathoFed.Slides.Tissue;

namespace PathoFed.Slides.Tests.Tissue;

public sealed class TissueDetectionTests
{
    private static readonly Scalar Glass = new(240, 240, 242);
    private static readonly Scalar Eosin = new(200, 160, 230);   // BGR pink
    private static readonly Scalar BluePen = new(200, 60, 30);   // BGR blue ink
    private static readonly Scalar GreenPen = new(60, 150, 30);

    [Fact]
    public void Detect_RealHAndE_FindsTissueInTheMiddleAndNoneOnTheGlass()
    {
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        var detector = new SaturationTissueDetector();
        using SlideThumbnail thumbnail = SlideThumbnail.Read(slide, detector.DownsampleFor(slide.Metadata));
        using TissueMask mask = detector.Detect(thumbnail);

        double slideArea = slide.Metadata.Level0Width * (double)slide.Metadata.Level0Height;
        Assert.InRange(mask.TissueAreaLevel0Px / slideArea, 0.2, 0.5);
        Assert.NotEmpty(mask.Regions);
        Assert.Equal(1.0, mask.TissueFraction(900, 2000, 200, 200), 2);   // stroma in the lower middle
        Assert.Equal(0.0, mask.TissueFraction(0, 0, 300, 300), 2);        // glass in the top-left corner
        Assert.InRange(mask.SaturationThreshold, 15, 120);
        Assert.Contains(mask.Regions, r => r.Holes.Count > 0);             // the large tear near the top
    }

    [Fact]
    public void Detect_KnownEllipseWithHole_MeasuresItsArea()
    {
        // 2000 x 1500 thumbnail, 4 level-0 px per thumbnail px: an ellipse of radii 600 x 400 with a hole of radius 100.
        using SlideThumbnail thumbnail = Thumbnail(2000, 1500, 4, canvas =>
        {
            Cv2.Ellipse(canvas, new Point(1000, 750), new Size(600, 400), 0, 0, 360, Eosin, -1);
            Cv2.Circle(canvas, new Point(1100, 700), 100, Glass, -1);
        });
        using TissueMask mask = new SaturationTissueDetector().Detect(thumbnail);

        double expected = (Math.PI * 600 * 400 - Math.PI * 100 * 100) * 16;
        Assert.InRange(mask.TissueAreaLevel0Px / expected, 0.98, 1.02);
        TissueRegion region = Assert.Single(mask.Regions);
        Assert.Single(region.Holes);
        Assert.InRange(region.AreaLevel0Px / expected, 0.98, 1.02);
        Assert.Equal(0, mask.TissueFraction(1080 * 4, 680 * 4, 40 * 4, 40 * 4)); // inside the hole
        // Polygons are in level-0 pixels: the outer ring spans the ellipse's level-0 extent.
        Assert.InRange(region.Outer.Min(p => p.X), 399 * 4, 402 * 4);
        Assert.InRange(region.Outer.Max(p => p.X), 1598 * 4, 1603 * 4);
    }

    [Fact]
    public void Detect_PenMarks_AreRemovedUnlessKept()
    {
        using SlideThumbnail thumbnail = Thumbnail(1200, 800, 8, canvas =>
        {
            Cv2.Circle(canvas, new Point(400, 400), 250, Eosin, -1);
            Cv2.Line(canvas, new Point(800, 100), new Point(1150, 700), BluePen, 25);
            Cv2.Line(canvas, new Point(700, 750), new Point(1150, 750), GreenPen, 20);
        });
        using TissueMask cleaned = new SaturationTissueDetector().Detect(thumbnail);
        using TissueMask kept = new SaturationTissueDetector(new TissueDetectionOptions { RemovePenMarks = false }).Detect(thumbnail);

        Assert.Single(cleaned.Regions);
        Assert.Equal(0, cleaned.TissueFraction(950 * 8, 380 * 8, 20 * 8, 20 * 8));
        Assert.True(kept.TissueFraction(965 * 8, 390 * 8, 10 * 8, 10 * 8) > 0.9, "without removal the ink counts as tissue");
        Assert.Equal(1.0, cleaned.TissueFraction(380 * 8, 380 * 8, 40 * 8, 40 * 8), 2);
    }

    [Fact]
    public void Detect_BlackScannerBorder_IsNotTissue()
    {
        using SlideThumbnail thumbnail = Thumbnail(1000, 800, 8, canvas =>
        {
            Cv2.Rectangle(canvas, new Rect(0, 0, 80, 800), Scalar.Black, -1);
            Cv2.Circle(canvas, new Point(500, 400), 200, Eosin, -1);
        });
        using TissueMask mask = new SaturationTissueDetector(new TissueDetectionOptions { SaturationThreshold = 0 }).Detect(thumbnail);
        Assert.Equal(0, mask.TissueFraction(0, 0, 70 * 8, 800 * 8));
        Assert.Equal(1.0, mask.TissueFraction(450 * 8, 350 * 8, 100 * 8, 100 * 8), 2);
    }

    [Fact]
    public void Detect_SpecksBelowTheMinimumArea_AreDropped()
    {
        using SlideThumbnail thumbnail = Thumbnail(1000, 800, 4, canvas =>
        {
            Cv2.Circle(canvas, new Point(300, 400), 150, Eosin, -1);
            Cv2.Circle(canvas, new Point(800, 200), 12, Eosin, -1); // ~7,200 level-0 px^2: dust
        });
        using TissueMask mask = new SaturationTissueDetector().Detect(thumbnail);
        Assert.Single(mask.Regions);
        Assert.Equal(0, mask.TissueFraction(790 * 4, 190 * 4, 20 * 4, 20 * 4));
    }

    [Fact]
    public void Detect_FixedThreshold_IsUsedInsteadOfOtsu()
    {
        using SlideThumbnail thumbnail = Thumbnail(600, 400, 4, canvas => Cv2.Circle(canvas, new Point(300, 200), 150, Eosin, -1));
        using TissueMask mask = new SaturationTissueDetector(new TissueDetectionOptions { SaturationThreshold = 42 }).Detect(thumbnail);
        Assert.Equal(42, mask.SaturationThreshold);
    }

    [Fact]
    public void TissueFraction_EqualsADirectCountOfMaskPixels()
    {
        using var mask = new Mat(300, 400, MatType.CV_8UC1, Scalar.Black);
        var random = new Random(3);
        for (int i = 0; i < 40; i++) Cv2.Circle(mask, new Point(random.Next(400), random.Next(300)), random.Next(5, 40), Scalar.White, -1);
        using var tissue = new TissueMask(mask.Clone(), 2, 2, [], 0);

        for (int i = 0; i < 200; i++)
        {
            int x = random.Next(0, 380), y = random.Next(0, 280), w = random.Next(1, 400 - x), h = random.Next(1, 300 - y);
            using Mat window = mask[new Rect(x, y, w, h)];
            double expected = Cv2.CountNonZero(window) / (double)(w * h);
            Assert.Equal(expected, tissue.TissueFraction(x * 2, y * 2, w * 2, h * 2), 9);
        }
        Assert.Equal(0, tissue.TissueFraction(10_000, 10_000, 100, 100)); // outside the slide
    }

    [Fact]
    public void Read_InSmallTiles_EqualsReadingInOneTile()
    {
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        using SlideThumbnail oneTile = SlideThumbnail.Read(slide, 4, readTilePx: 4096, null, default);
        using SlideThumbnail manyTiles = SlideThumbnail.Read(slide, 4, readTilePx: 256, null, default);

        Assert.Equal(oneTile.Image.Size(), manyTiles.Image.Size());
        Assert.Equal((555, 742), (oneTile.Image.Width, oneTile.Image.Height));
        using var difference = new Mat();
        Cv2.Absdiff(oneTile.Image, manyTiles.Image, difference);
        // 2967 px do not divide by 4, so one resize samples up to ~1 px apart from exact 256 -> 64 tiles near the
        // bottom; in the top band (tile seams at rows 64 and 128) the two agree to within rounding.
        using Mat topBand = difference[new Rect(0, 0, 555, 150)];
        Assert.True(Cv2.Mean(topBand).Val0 < 0.5, $"top band mean difference {Cv2.Mean(topBand).Val0}");
        Assert.True(Cv2.Mean(difference).Val0 < 2.0, $"mean difference {Cv2.Mean(difference).Val0}");
    }

    [Fact]
    public void Read_PicksTheBestPyramidLevel()
    {
        using ISlide slide = SlideReader.Open(TestSlides.BoxesTiff);
        using SlideThumbnail thumbnail = SlideThumbnail.Read(slide, 2);
        using Mat level1 = slide.ReadRegion(0, 0, 1, 150, 125);
        Assert.Equal(0, Cv2.Norm(thumbnail.Image, level1, NormTypes.INF));
        Assert.Equal(2.0, thumbnail.Level0PerPxX, 9);
    }

    [Theory]
    [InlineData(2220, 2967, 1.44873046875)]
    [InlineData(40_000, 30_000, 19.53125)]
    [InlineData(100_000, 100_000, 32)]
    [InlineData(500, 400, 1)]
    public void DownsampleFor_KeepsMasksDetailedButBounded(long width, long height, double expected) =>
        Assert.Equal(expected, TissueDetectionOptions.Default.DownsampleFor(width, height), 9);

    [Fact]
    public void DownsampleFor_FineSettingsOnAHugeSlide_StillBoundsTheMask()
    {
        double downsample = new TissueDetectionOptions { MaxDownsample = 1 }.DownsampleFor(100_000, 100_000);
        Assert.True(100_000 / downsample * (100_000 / downsample) <= TissueDetectionOptions.MaxMaskPixels * 1.0001);
    }

    [Fact]
    public void Validate_EvenMedianAperture_IsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TissueDetectionOptions { MedianBlurPx = 6 }.Validate());

    private static SlideThumbnail Thumbnail(int width, int height, double level0PerPx, Action<Mat> draw)
    {
        var canvas = new Mat(height, width, MatType.CV_8UC3, Glass);
        draw(canvas);
        return SlideThumbnail.FromImage(canvas, level0PerPx, level0PerPx);
    }
}
