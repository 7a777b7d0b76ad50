using OpenCvSharp;
using PathoFed.Slides.Synthetic;

namespace PathoFed.Slides.Tests.Synthetic;

/// <summary>Two slides written once and shared by the read-only tests: an Aperio pyramid and a generic TIFF.</summary>
public sealed class SyntheticSlidesFixture : IDisposable
{
    private readonly TempFolder _folder = new();

    public SyntheticSlidesFixture()
    {
        AperioPath = _folder.File("aperio.svs");
        GenericPath = _folder.File("generic.tif");
        SyntheticSlideWriter.Write(AperioPath, Aperio);
        SyntheticSlideWriter.Write(GenericPath, Generic);
    }

    /// <summary>
    /// 8192 x 6144 at 0.25 µm/px: three levels (8192, 2048, 512 px wide). Two sections, a hole in the first, a blue
    /// stroke over glass above them and a green one across the second section.
    /// </summary>
    public static SyntheticSlideSpec Aperio { get; } = new(8192, 6144,
        [new SyntheticEllipse(2200, 3000, 1700, 2300), new SyntheticEllipse(6000, 3200, 1600, 2000)])
    {
        Holes = [new SyntheticEllipse(2300, 2600, 350, 300)],
        PenStrokes =
        [
            new PenStroke([(400, 300), (4000, 500), (7800, 900)], 24, PenColor.Blue),
            new PenStroke([(5000, 4000), (7000, 4500)], 30, PenColor.Green),
        ],
        Mpp = 0.25,
        ObjectivePower = 40,
        JpegQuality = 85,
        Seed = 11,
    };

    /// <summary>3000 x 2000 at 0.5 µm/px with random sections: two levels (3000 and 750 px wide).</summary>
    public static SyntheticSlideSpec Generic { get; } =
        SyntheticSlideSpec.WithRandomTissue(3000, 2000, seed: 5) with { Flavor = SyntheticSlideFlavor.GenericTiff };

    public string AperioPath { get; }

    public string GenericPath { get; }

    public void Dispose() => _folder.Dispose();
}

public sealed class SyntheticSlideWriterTests(SyntheticSlidesFixture slides) : IClassFixture<SyntheticSlidesFixture>
{
    private static readonly SyntheticSlideSpec Aperio = SyntheticSlidesFixture.Aperio;

    [Fact]
    public void Write_AperioFlavor_OpensAsAperioWithPyramidResolutionPowerAndAssociatedImages()
    {
        using ISlide slide = SlideReader.Open(slides.AperioPath);
        SlideMetadata m = slide.Metadata;

        Assert.Equal("aperio", m.Vendor);
        Assert.Equal([(8192L, 6144L), (2048L, 1536L), (512L, 384L)], m.Levels.Select(l => (l.Width, l.Height)));
        for (int level = 0; level < m.LevelCount; level++) Assert.Equal(Math.Pow(4, level), m.Levels[level].Downsample, 6);
        Assert.Equal(0.25, m.MppX!.Value, 9);
        Assert.Equal(0.25, m.MppY!.Value, 9);
        Assert.Equal(MppSource.Vendor, m.MppSource);
        Assert.Equal(40, m.ObjectivePower);
        Assert.Equal(["label", "macro", "thumbnail"], m.AssociatedImages.Order());

        using Mat thumbnail = slide.ReadAssociatedImage("thumbnail");
        Assert.Equal((1024, 768), (thumbnail.Width, thumbnail.Height));
        using Mat label = slide.ReadAssociatedImage("label");
        Assert.Equal((480, 480), (label.Width, label.Height));
        // Printed text and barcode: a good share of dark pixels on a white label.
        using Mat gray = new();
        Cv2.CvtColor(label, gray, ColorConversionCodes.BGR2GRAY);
        double darkFraction = (double)Cv2.CountNonZero(gray.LessThan(80)) / (label.Width * label.Height);
        Assert.InRange(darkFraction, 0.03, 0.5);
        using Mat macro = slide.ReadAssociatedImage("macro");
        Assert.Equal((1500, 500), (macro.Width, macro.Height));
    }

    [Fact]
    public void Write_GenericTiffFlavor_OpensAsGenericTiffWithResolutionFromTiffTags()
    {
        using ISlide slide = SlideReader.Open(slides.GenericPath);
        SlideMetadata m = slide.Metadata;

        Assert.Equal("generic-tiff", m.Vendor);
        Assert.Equal([(3000L, 2000L), (750L, 500L)], m.Levels.Select(l => (l.Width, l.Height)));
        Assert.Equal(4, m.Levels[1].Downsample, 6);
        Assert.Equal(MppSource.TiffResolution, m.MppSource);
        Assert.Equal(0.5, m.MppX!.Value, 4);
        Assert.Equal(0.5, m.MppY!.Value, 4);
        Assert.Null(m.ObjectivePower);
        Assert.Empty(m.AssociatedImages);
        Assert.False(m.Properties.ContainsKey("aperio.AppMag"));
    }

    [Theory]
    [InlineData(2200, 4200)] // section 0, below its hole
    [InlineData(1200, 3000)] // section 0, left of its hole
    [InlineData(6000, 2500)] // section 1
    public void Write_InsideTissue_PixelsArePinkOrPurple(int x, int y)
    {
        using ISlide slide = SlideReader.Open(slides.AperioPath);
        Assert.Contains(Aperio.Tissue, t => t.Contains(x, y));

        Scalar mean = MeanBgr(slide, x - 64, y - 64, 0, 128, 128);
        // Eosin and haematoxylin absorb green most: red and blue well above green.
        Assert.True(mean.Val2 - mean.Val1 > 30 && mean.Val0 - mean.Val1 > 20, $"mean BGR {mean}");
        Assert.True(Saturation(mean) > 40, $"mean BGR {mean}");
    }

    [Theory]
    [InlineData(100, 5900)]
    [InlineData(4200, 3000)] // between the sections
    [InlineData(8000, 6000)]
    [InlineData(2300, 2600)] // centre of the hole
    public void Write_OnGlass_PixelsAreNearWhite(int x, int y)
    {
        using ISlide slide = SlideReader.Open(slides.AperioPath);

        using Mat region = slide.ReadRegion(x - 16, y - 16, 0, 32, 32);
        Cv2.MinMaxLoc(region.Reshape(1), out double darkest, out _);
        Scalar mean = Cv2.Mean(region);
        Assert.True(darkest >= 225, $"darkest channel {darkest}");
        Assert.True(Saturation(mean) < 10, $"mean BGR {mean}");
    }

    [Fact]
    public void Write_PenStrokes_PixelsHaveTheInkColour()
    {
        using ISlide slide = SlideReader.Open(slides.AperioPath);

        // On the blue stroke's first segment, (400, 300) to (4000, 500), over glass.
        Scalar blue = MeanBgr(slide, 2200 - 4, 400 - 4, 0, 8, 8);
        Assert.True(blue.Val0 > 170 && blue.Val1 < 100 && blue.Val2 < 70, $"blue ink BGR {blue}");
        // On the green stroke, (5000, 4000) to (7000, 4500), over tissue: ink hides the stain.
        Scalar green = MeanBgr(slide, 6000 - 4, 4250 - 4, 0, 8, 8);
        Assert.True(green.Val1 > 120 && green.Val0 < 100 && green.Val2 < 70, $"green ink BGR {green}");
        // Thick enough to survive at level 1 (6 px wide there).
        Scalar blueLevel1 = MeanBgr(slide, 2200 - 4, 400 - 4, 1, 2, 2);
        Assert.True(blueLevel1.Val0 - blueLevel1.Val2 > 100, $"blue ink at level 1 BGR {blueLevel1}");
    }

    [Theory]
    [InlineData(5200, 2600, 1024)] // tissue
    [InlineData(1000, 1600, 1024)] // across the edge of section 0
    [InlineData(2000, 2300, 768)]  // around the hole
    public void Write_Levels_ShowTheSameSceneWithTheSameMeanColour(int x, int y, int sizeLevel0)
    {
        using ISlide slide = SlideReader.Open(slides.AperioPath);

        Scalar level0 = MeanBgr(slide, x, y, 0, sizeLevel0, sizeLevel0);
        Scalar level1 = MeanBgr(slide, x, y, 1, sizeLevel0 / 4, sizeLevel0 / 4);
        Scalar level2 = MeanBgr(slide, x, y, 2, sizeLevel0 / 16, sizeLevel0 / 16);
        for (int c = 0; c < 3; c++)
        {
            Assert.True(Math.Abs(level0[c] - level1[c]) < 5, $"channel {c}: level 0 {level0} vs level 1 {level1}");
            Assert.True(Math.Abs(level0[c] - level2[c]) < 8, $"channel {c}: level 0 {level0} vs level 2 {level2}");
        }
    }

    [Theory]
    [InlineData(0, 5120, 2560)]  // level 0: tissue with nuclei
    [InlineData(0, 3840, 2816)]  // level 0: section edge and glass
    [InlineData(1, 1024, 512)]   // level 1, in its own pixels
    [InlineData(2, 0, 0)]        // level 2: nuclei blended into the stroma
    public void Write_ReadBack_MatchesTheRenderedSceneWithinJpegError(int level, int levelX, int levelY)
    {
        using ISlide slide = SlideReader.Open(slides.AperioPath);
        double downsample = Math.Pow(4, level);
        using Mat read = slide.ReadRegion((long)(levelX * downsample), (long)(levelY * downsample), level, 256, 256);
        using Mat rendered = new();
        using var scratch = new SyntheticRenderScratch();
        new SyntheticSceneRenderer(Aperio).Render(downsample, levelX, levelY, 256, 256, rendered, scratch);

        // Channel order and YCbCr conversion: a swapped or unconverted colour space is off by tens on average.
        Scalar meanRead = Cv2.Mean(read), meanRendered = Cv2.Mean(rendered);
        for (int c = 0; c < 3; c++) Assert.True(Math.Abs(meanRead[c] - meanRendered[c]) < 1.5, $"channel {c}: read {meanRead} vs rendered {meanRendered}");
        using Mat difference = new();
        Cv2.Absdiff(read, rendered, difference);
        Scalar meanError = Cv2.Mean(difference);
        for (int c = 0; c < 3; c++) Assert.True(meanError[c] < 6, $"channel {c}: mean absolute JPEG error {meanError}");
    }

    [Fact]
    public void Write_TissueArea_MeasuredFromPixelsMatchesTheAnalyticArea()
    {
        using ISlide slide = SlideReader.Open(slides.GenericPath);
        SyntheticSlideSpec spec = SyntheticSlidesFixture.Generic;

        using Mat level0 = slide.ReadRegion(0, 0, 0, 3000, 2000);
        int stained = CountStained(level0);
        Assert.Equal(spec.TissueAreaLevel0Px, stained, spec.TissueAreaLevel0Px * 0.01);

        using Mat level1 = slide.ReadRegion(0, 0, 1, 750, 500);
        Assert.Equal(spec.TissueAreaLevel0Px, CountStained(level1) * 16.0, spec.TissueAreaLevel0Px * 0.02);
    }

    [Fact]
    public void Write_SameSpecTwice_GivesIdenticalBytes_AndAnotherSeedDoesNot()
    {
        using var folder = new TempFolder();
        SyntheticSlideSpec spec = SyntheticSlideSpec.WithRandomTissue(2400, 1800, seed: 3) with
        {
            PenStrokes = [new PenStroke([(100, 100), (2000, 1500)], 12, PenColor.Black)],
        };

        SyntheticSlideWriter.Write(folder.File("a.svs"), spec);
        SyntheticSlideWriter.Write(folder.File("b.svs"), spec);
        SyntheticSlideWriter.Write(folder.File("c.svs"), spec with { Seed = 4 });

        byte[] a = File.ReadAllBytes(folder.File("a.svs"));
        Assert.Equal(a, File.ReadAllBytes(folder.File("b.svs")));
        Assert.NotEqual(a, File.ReadAllBytes(folder.File("c.svs")));
    }

    [Theory]
    [InlineData(1.0, 6951, 4421)] // level 0: the green stroke's end, section 1's edge, nuclei and glass
    [InlineData(4.0, 1737, 1105)] // the same place at level 1
    [InlineData(16.0, 371, 201)]  // level 2: nuclei blended into the stroma
    [InlineData(9.7, 601, 331)]   // a thumbnail-like downsample
    public void Render_AnyTiling_GivesTheSamePixels(double downsample, long x, long y)
    {
        var renderer = new SyntheticSceneRenderer(Aperio);
        using var scratch = new SyntheticRenderScratch();
        using Mat whole = new(), left = new(), right = new();

        renderer.Render(downsample, x, y, 400, 120, whole, scratch);
        renderer.Render(downsample, x, y, 137, 120, left, scratch);
        renderer.Render(downsample, x + 137, y, 263, 120, right, scratch);
        using Mat joined = new();
        Cv2.HConcat([left, right], joined);

        Assert.Equal(0, Cv2.Norm(whole, joined, NormTypes.INF));
        // Not trivially equal: the region holds glass, stain and ink.
        Cv2.MinMaxLoc(whole.Reshape(1), out double darkest, out double brightest);
        Assert.True(brightest - darkest > 100, $"range {darkest}-{brightest}");
    }

    [Fact]
    public void Write_BigTiff_OpensWithTheSamePixelsAsClassicTiff()
    {
        using var folder = new TempFolder();
        SyntheticSlideSpec spec = SyntheticSlideSpec.WithRandomTissue(2600, 2100, seed: 8);

        SyntheticSlideWriter.Write(folder.File("big.svs"), spec, bigTiff: true);
        SyntheticSlideWriter.Write(folder.File("classic.svs"), spec, bigTiff: false);

        // "II" then 43 (BigTIFF) or 42 (classic).
        Assert.Equal(new byte[] { 0x49, 0x49, 43, 0 }, File.ReadAllBytes(folder.File("big.svs"))[..4]);
        Assert.Equal(new byte[] { 0x49, 0x49, 42, 0 }, File.ReadAllBytes(folder.File("classic.svs"))[..4]);
        using ISlide big = SlideReader.Open(folder.File("big.svs"));
        using ISlide classic = SlideReader.Open(folder.File("classic.svs"));
        Assert.Equal("aperio", big.Metadata.Vendor);
        Assert.Equal(2, big.Metadata.LevelCount);
        using Mat fromBig = big.ReadRegion(0, 0, 1, 650, 525);
        using Mat fromClassic = classic.ReadRegion(0, 0, 1, 650, 525);
        Assert.Equal(0, Cv2.Norm(fromBig, fromClassic, NormTypes.INF));
    }

    [Fact]
    public void Write_ExistingFile_IsReplacedAndNoTemporaryFileRemains()
    {
        using var folder = new TempFolder();
        string path = folder.File("slide.svs");
        File.WriteAllText(path, "not a slide");
        var progress = new RecordingProgress();

        SyntheticSlideWriter.Write(path, SyntheticSlideSpec.WithRandomTissue(2000, 1500, seed: 2), progress);

        using (ISlide slide = SlideReader.Open(path)) Assert.Equal("aperio", slide.Metadata.Vendor);
        Assert.Equal([path], Directory.GetFiles(folder.Path));
        Assert.NotEmpty(progress.Values);
        Assert.Equal(1, progress.Values[^1]);
        Assert.Equal(progress.Values.Order(), progress.Values);
        Assert.All(progress.Values, v => Assert.InRange(v, 0, 1));
    }

    [Fact]
    public void Write_Cancelled_ThrowsAndLeavesNoFile()
    {
        using var folder = new TempFolder();
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() =>
            SyntheticSlideWriter.Write(folder.File("slide.svs"), SyntheticSlideSpec.WithRandomTissue(3000, 2000, seed: 1), cancellationToken: cancellation.Token));
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public void Write_CancelledWhileWriting_DeletesTheTemporaryFile()
    {
        using var folder = new TempFolder();
        using var cancellation = new CancellationTokenSource();
        var progress = new RecordingProgress(onReport: _ => cancellation.Cancel());

        Assert.ThrowsAny<OperationCanceledException>(() =>
            SyntheticSlideWriter.Write(folder.File("slide.svs"), SyntheticSlideSpec.WithRandomTissue(6000, 4000, seed: 1), progress, cancellation.Token));
        Assert.NotEmpty(progress.Values);
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [Theory]
    [InlineData("width", "Width (0)")]
    [InlineData("height", "Height (-5)")]
    [InlineData("tissue-outside", "Tissue[1] (center (2700, 1000), radii 500 x 600) extends outside the 3000 x 2000 px slide")]
    [InlineData("tissue-radius", "Tissue[0] (center (800, 1000), radii -600 x 700)")]
    [InlineData("tissue-overlap", "Tissue[0] (center (800, 1000), radii 600 x 700) and Tissue[1] (center (1800, 1000), radii 500 x 600) overlap")]
    [InlineData("tissue-contains", "and Tissue[1] (center (800, 1500), radii 50 x 50) overlap")]
    [InlineData("hole-outside", "Holes[0] (center (1500, 1000), radii 100 x 100) does not lie entirely inside any tissue ellipse")]
    [InlineData("hole-overlap", "and Holes[1] (center (900, 1050), radii 100 x 100) overlap")]
    [InlineData("pen-width", "PenStrokes[0].WidthPx (0)")]
    [InlineData("pen-outside", "PenStrokes[0].Points[1] (3100, 50)")]
    [InlineData("pen-empty", "PenStrokes[0].Points")]
    [InlineData("mpp", "Mpp (0)")]
    [InlineData("power", "ObjectivePower (-1)")]
    [InlineData("tile", "TileSizePx (100)")]
    [InlineData("quality", "JpegQuality (101)")]
    public void Write_InvalidSpec_ThrowsArgumentExceptionNamingTheValue(string defect, string expectedFragment)
    {
        using var folder = new TempFolder();
        SyntheticSlideSpec spec = InvalidSpec(defect);

        var error = Assert.Throws<ArgumentException>(() => SyntheticSlideWriter.Write(folder.File("slide.svs"), spec));
        Assert.Contains(expectedFragment, error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public void WithRandomTissue_IsDeterministicValidAndCoversThirtyToFortyPercent()
    {
        foreach (var (width, height) in new (long, long)[] { (3000, 2000), (2000, 6000), (40_000, 40_000), (100_000, 100_000), (64, 64) })
        {
            for (int seed = 0; seed < 40; seed++)
            {
                SyntheticSlideSpec spec = SyntheticSlideSpec.WithRandomTissue(width, height, seed);
                SyntheticSlideSpec again = SyntheticSlideSpec.WithRandomTissue(width, height, seed);

                Assert.Equal(spec.Tissue, again.Tissue);
                Assert.Equal(spec.Holes, again.Holes);
                Assert.Equal(seed, spec.Seed);
                Assert.InRange(spec.Tissue.Count, 2, 4);
                Assert.Single(spec.Holes);
                Assert.InRange(spec.TissueAreaLevel0Px / (width * (double)height), 0.30, 0.40);
                SyntheticSpecValidator.Validate(spec);
            }
        }
        Assert.NotEqual(SyntheticSlideSpec.WithRandomTissue(5000, 5000, 1).Tissue, SyntheticSlideSpec.WithRandomTissue(5000, 5000, 2).Tissue);
        Assert.Throws<ArgumentException>(() => SyntheticSlideSpec.WithRandomTissue(10, 5000, 1));
    }

    [Fact]
    public void TissueAreaLevel0Px_IsTheTissueEllipsesMinusTheHoles()
    {
        Assert.Equal(Math.PI * (1700 * 2300 + 1600 * 2000 - 350 * 300), Aperio.TissueAreaLevel0Px, 6);
        var ellipse = new SyntheticEllipse(100, 50, 40, 20);
        Assert.Equal(Math.PI * 800, ellipse.Area, 9);
        Assert.True(ellipse.Contains(139, 50));
        Assert.True(ellipse.Contains(100, 30));
        Assert.False(ellipse.Contains(135, 65));
        Assert.False(ellipse.Contains(141, 50));
    }

    private static SyntheticSlideSpec InvalidSpec(string defect)
    {
        var valid = new SyntheticSlideSpec(3000, 2000, [new SyntheticEllipse(800, 1000, 600, 700), new SyntheticEllipse(2200, 1000, 500, 600)])
        {
            Holes = [new SyntheticEllipse(800, 1000, 100, 100)],
        };
        PenStroke Stroke(params (double X, double Y)[] points) => new(points, 10, PenColor.Blue);
        return defect switch
        {
            "width" => valid with { Width = 0 },
            "height" => valid with { Height = -5 },
            "tissue-outside" => valid with { Tissue = [valid.Tissue[0], new SyntheticEllipse(2700, 1000, 500, 600)] },
            "tissue-radius" => valid with { Tissue = [new SyntheticEllipse(800, 1000, -600, 700)], Holes = [] },
            "tissue-overlap" => valid with { Tissue = [valid.Tissue[0], new SyntheticEllipse(1800, 1000, 500, 600)] },
            "tissue-contains" => valid with { Tissue = [valid.Tissue[0], new SyntheticEllipse(800, 1500, 50, 50)] },
            "hole-outside" => valid with { Holes = [new SyntheticEllipse(1500, 1000, 100, 100)] },
            "hole-overlap" => valid with { Holes = [new SyntheticEllipse(800, 1000, 100, 100), new SyntheticEllipse(900, 1050, 100, 100)] },
            "pen-width" => valid with { PenStrokes = [new PenStroke([(10, 10)], 0, PenColor.Green)] },
            "pen-outside" => valid with { PenStrokes = [Stroke((10, 10), (3100, 50))] },
            "pen-empty" => valid with { PenStrokes = [Stroke()] },
            "mpp" => valid with { Mpp = 0 },
            "power" => valid with { ObjectivePower = -1 },
            "tile" => valid with { TileSizePx = 100 },
            "quality" => valid with { JpegQuality = 101 },
            _ => throw new ArgumentOutOfRangeException(nameof(defect), defect, null),
        };
    }

    private static Scalar MeanBgr(ISlide slide, long level0X, long level0Y, int level, int widthPx, int heightPx)
    {
        using Mat region = slide.ReadRegion(level0X, level0Y, level, widthPx, heightPx);
        return Cv2.Mean(region);
    }

    private static double Saturation(Scalar bgr) =>
        Math.Max(bgr.Val0, Math.Max(bgr.Val1, bgr.Val2)) - Math.Min(bgr.Val0, Math.Min(bgr.Val1, bgr.Val2));

    /// <summary>
    /// Pixels darker than glass (luma ~238) by more than noise and JPEG error; the palest stroma is ~223. Luma, not
    /// saturation: 4:2:0 JPEG smears chroma a few pixels onto the glass along every edge.
    /// </summary>
    private static int CountStained(Mat bgr)
    {
        using Mat luma = new();
        Cv2.CvtColor(bgr, luma, ColorConversionCodes.BGR2GRAY);
        using Mat stained = luma.LessThan(231);
        return Cv2.CountNonZero(stained);
    }

    private sealed class RecordingProgress(Action<double>? onReport = null) : IProgress<double>
    {
        public List<double> Values { get; } = [];

        public void Report(double value)
        {
            Values.Add(value);
            onReport?.Invoke(value);
        }
    }
}
