using OpenCvSharp;
using PathoFed.Slides;

namespace PathoFed.Slides.Tests.Reading;

public sealed class SlideReaderTests
{
    [Fact]
    public void Open_AperioSvs_ReportsVendorResolutionPowerAndAssociatedImages()
    {
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        SlideMetadata m = slide.Metadata;

        Assert.Equal("aperio", m.Vendor);
        Assert.Equal(1, m.LevelCount);
        Assert.Equal((2220L, 2967L), (m.Level0Width, m.Level0Height));
        Assert.Equal(0.499, m.MppX!.Value, 6);
        Assert.Equal(0.499, m.MppY!.Value, 6);
        Assert.Equal(MppSource.Vendor, m.MppSource);
        Assert.Equal(20, m.ObjectivePower);
        Assert.Equal(["label", "macro", "thumbnail"], m.AssociatedImages.Order());
        Assert.Equal("20", m.Properties["aperio.AppMag"]);
    }

    [Fact]
    public void Open_TinySvs_ReportsItsSize()
    {
        using ISlide slide = SlideReader.Open(TestSlides.SmallSvs);
        Assert.Equal("aperio", slide.Metadata.Vendor);
        Assert.Equal((16L, 16L), (slide.Metadata.Level0Width, slide.Metadata.Level0Height));
        Assert.Equal(0.499, slide.Metadata.Mpp!.Value, 6);
    }

    [Fact]
    public void Open_GenericTiffPyramid_ReportsFourLevelsAndIgnoresTheDefault72DpiTag()
    {
        using ISlide slide = SlideReader.Open(TestSlides.BoxesTiff);
        SlideMetadata m = slide.Metadata;

        Assert.Equal("generic-tiff", m.Vendor);
        Assert.Equal([(300L, 250L), (150L, 125L), (75L, 62L), (37L, 31L)], m.Levels.Select(l => (l.Width, l.Height)));
        Assert.Equal(2.0, m.Levels[1].Downsample, 6);
        Assert.InRange(m.Levels[3].Downsample, 8.0, 8.2);
        // The file says 28.35 px/cm (72 dpi, 352 µm/px): a writer's default, not a microscope's resolution.
        Assert.Equal("centimeter", m.Properties["tiff.ResolutionUnit"]);
        Assert.Null(m.Mpp);
        Assert.Equal(MppSource.Unknown, m.MppSource);
    }

    [Fact]
    public void ReadRegion_GenericTiffLevel0_EqualsReferencePixelsExactly()
    {
        using ISlide slide = SlideReader.Open(TestSlides.BoxesTiff);
        using Mat reference = Cv2.ImRead(TestSlides.BoxesPng, ImreadModes.Color);
        using Mat whole = slide.ReadRegion(0, 0, 0, 300, 250);
        using Mat crop = slide.ReadRegion(37, 101, 0, 150, 90);
        using Mat referenceCrop = reference[new Rect(37, 101, 150, 90)];

        Assert.Equal(MatType.CV_8UC3, whole.Type());
        Assert.Equal(0, Cv2.Norm(whole, reference, NormTypes.INF));
        Assert.Equal(0, Cv2.Norm(crop, referenceCrop, NormTypes.INF));
    }

    [Fact]
    public void ReadRegion_CoarserLevel_MatchesReferenceShrunkByItsDownsample()
    {
        using ISlide slide = SlideReader.Open(TestSlides.BoxesTiff);
        using Mat reference = Cv2.ImRead(TestSlides.BoxesPng, ImreadModes.Color);
        using Mat level1 = slide.ReadRegion(0, 0, 1, 150, 125);
        using Mat shrunk = new();
        Cv2.Resize(reference, shrunk, new Size(150, 125), interpolation: InterpolationFlags.Area);

        using Mat difference = new();
        Cv2.Absdiff(level1, shrunk, difference);
        Assert.True(Cv2.Mean(difference).Val0 < 8, $"mean difference {Cv2.Mean(difference).Val0}");
    }

    [Fact]
    public void ReadRegion_PartlyOutsideTheSlide_FillsTheOutsideWithWhite()
    {
        using ISlide slide = SlideReader.Open(TestSlides.BoxesTiff);
        using Mat reference = Cv2.ImRead(TestSlides.BoxesPng, ImreadModes.Color);
        using Mat region = slide.ReadRegion(250, -20, 0, 100, 60);

        using Mat inside = region[new Rect(0, 20, 50, 40)];
        using Mat referenceInside = reference[new Rect(250, 0, 50, 40)];
        Assert.Equal(0, Cv2.Norm(inside, referenceInside, NormTypes.INF));
        Assert.Equal(new Vec3b(255, 255, 255), region.At<Vec3b>(5, 5));   // above the slide
        Assert.Equal(new Vec3b(255, 255, 255), region.At<Vec3b>(40, 80));  // right of the slide
    }

    [Fact]
    public void ReadRegion_ReusedDestination_IsReallocatedToTheRequestedSize()
    {
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        using var destination = new Mat(10, 10, MatType.CV_8UC1);
        slide.ReadRegion(1000, 1000, 0, 64, 32, destination);
        Assert.Equal((32, 64, MatType.CV_8UC3), (destination.Rows, destination.Cols, destination.Type()));
    }

    [Fact]
    public void ReadRegion_FromManyThreads_EqualsSequentialReads()
    {
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        var random = new Random(7);
        var regions = Enumerable.Range(0, 48).Select(_ => (X: random.Next(0, 1900), Y: random.Next(0, 2600))).ToArray();
        byte[][] sequential = regions.Select(r => { using Mat m = slide.ReadRegion(r.X, r.Y, 0, 200, 200); return Bytes(m); }).ToArray();

        var parallel = new byte[regions.Length][];
        Parallel.For(0, regions.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            using Mat m = slide.ReadRegion(regions[i].X, regions[i].Y, 0, 200, 200);
            parallel[i] = Bytes(m);
        });

        for (int i = 0; i < regions.Length; i++) Assert.Equal(sequential[i], parallel[i]);
    }

    [Fact]
    public void ReadRegion_RealTissue_IsStainedInTheMiddleAndGlassInTheCorner()
    {
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        using Mat centre = slide.ReadRegion(1000, 1800, 0, 128, 128);
        using Mat corner = slide.ReadRegion(0, 0, 0, 128, 128);
        Assert.True(MeanSaturation(centre) > 60, $"centre saturation {MeanSaturation(centre)}");
        Assert.True(MeanSaturation(corner) < 20, $"corner saturation {MeanSaturation(corner)}");
    }

    [Theory]
    [InlineData("thumbnail")]
    [InlineData("label")]
    [InlineData("macro")]
    public void ReadAssociatedImage_Svs_DecodesANonEmptyImage(string name)
    {
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        using Mat image = slide.ReadAssociatedImage(name);
        Assert.Equal(MatType.CV_8UC3, image.Type());
        Assert.True(image.Width > 10 && image.Height > 10);
        Assert.True(Cv2.Mean(image).Val0 is > 1 and < 254, "image should not be blank");
    }

    [Fact]
    public void ReadAssociatedImage_UnknownName_ThrowsListingTheAvailableOnes()
    {
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        var error = Assert.Throws<SlideReadException>(() => slide.ReadAssociatedImage("overview"));
        Assert.Contains("small_HE.svs", error.Message);
        Assert.Contains("'overview'", error.Message);
        Assert.Contains("thumbnail", error.Message);
    }

    [Fact]
    public void Open_StripTiff_FallsBackToThePlainImageReader()
    {
        using ISlide slide = SlideReader.Open(TestSlides.SmallTif);
        using Mat expected = Cv2.ImRead(TestSlides.SmallTif, ImreadModes.Color);
        using Mat region = slide.ReadRegion(100, 50, 0, 200, 100);
        using Mat expectedRegion = expected[new Rect(100, 50, 200, 100)];

        Assert.Equal("plain-image", slide.Metadata.Vendor);
        Assert.Equal((640L, 480L, 1), (slide.Metadata.Level0Width, slide.Metadata.Level0Height, slide.Metadata.LevelCount));
        Assert.Equal(0, Cv2.Norm(region, expectedRegion, NormTypes.INF));
    }

    [Fact]
    public void Open_Png_ReadsExactPixelsWithWhiteOutside()
    {
        using ISlide slide = SlideReader.Open(TestSlides.BoxesPng);
        using Mat reference = Cv2.ImRead(TestSlides.BoxesPng, ImreadModes.Color);
        using Mat region = slide.ReadRegion(-10, 0, 0, 310, 250);
        using Mat inside = region[new Rect(10, 0, 300, 250)];

        Assert.Equal(0, Cv2.Norm(inside, reference, NormTypes.INF));
        Assert.Equal(new Vec3b(255, 255, 255), region.At<Vec3b>(100, 3));
    }

    [Fact]
    public void Open_WithMppOverride_UsesTheUsersResolution()
    {
        using ISlide slide = SlideReader.Open(TestSlides.BoxesTiff, new SlideOpenOptions(MppOverride: 0.25));
        Assert.Equal(0.25, slide.Metadata.Mpp);
        Assert.Equal(MppSource.User, slide.Metadata.MppSource);
    }

    [Fact]
    public void Open_WithMppFallback_OnlyFillsInAMissingResolution()
    {
        using ISlide unknown = SlideReader.Open(TestSlides.BoxesTiff, new SlideOpenOptions(MppFallback: 0.25));
        using ISlide known = SlideReader.Open(TestSlides.SmallHE, new SlideOpenOptions(MppFallback: 0.25));
        Assert.Equal((0.25, MppSource.User), (unknown.Metadata.Mpp, unknown.Metadata.MppSource));
        Assert.Equal((0.499, MppSource.Vendor), (known.Metadata.Mpp!.Value, known.Metadata.MppSource));
    }

    [Fact]
    public void Open_ImplausibleMppOverride_IsRefused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => SlideReader.Open(TestSlides.BoxesTiff, new SlideOpenOptions(MppOverride: 350)));
        Assert.Contains("boxes.tiff", error.Message);
    }

    [Fact]
    public void Open_UnknownTiffCompression_FailsWithOpenSlidesReason()
    {
        var error = Assert.Throws<SlideOpenException>(() => SlideReader.Open(TestSlides.Bad.UnopenableTiff));
        Assert.Contains("unopenable.tiff", error.Message);
        Assert.Contains("Unsupported TIFF compression", error.Message);
    }

    [Fact]
    public void ReadRegion_CorruptTileData_FailsWithOpenSlidesReason()
    {
        using ISlide slide = SlideReader.Open(TestSlides.Bad.UnreadableSvs);
        var error = Assert.Throws<SlideReadException>(() => slide.ReadRegion(0, 0, 0, 16, 16));
        Assert.Contains("unreadable.svs", error.Message);
        Assert.Contains("OpenSlide:", error.Message);
    }

    [Fact]
    public void Open_DicomWithOpenSlide34_ExplainsThatDicomNeedsOpenSlide4()
    {
        var error = Assert.Throws<SlideOpenException>(() => SlideReader.Open(TestSlides.Bad.Dicom));
        Assert.Contains("boxes_0.dcm", error.Message);
        Assert.Contains("DICOM", error.Message);
        Assert.Contains("OpenSlide 4.0", error.Message);
    }

    [Fact]
    public void Open_MissingFile_SaysNotFound()
    {
        var error = Assert.Throws<SlideOpenException>(() => SlideReader.Open("/nonexistent/slide-42.svs"));
        Assert.Contains("slide-42.svs", error.Message);
        Assert.Contains("not found", error.Message);
    }

    [Fact]
    public void Open_EmptyFile_SaysEmpty()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("empty.svs"), []);
        var error = Assert.Throws<SlideOpenException>(() => SlideReader.Open(temp.File("empty.svs")));
        Assert.Contains("empty.svs", error.Message);
        Assert.Contains("empty", error.Cause);
    }

    [Fact]
    public void Open_TextFileNamedSvs_SaysUnsupportedFormat()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("notes.svs"), "not a slide at all");
        var error = Assert.Throws<SlideOpenException>(() => SlideReader.Open(temp.File("notes.svs")));
        Assert.Contains("notes.svs", error.Message);
        Assert.Contains("not a supported slide format", error.Message);
    }

    [Fact]
    public void Open_TruncatedPng_SaysItCannotBeDecoded()
    {
        using var temp = new TempFolder();
        byte[] png = File.ReadAllBytes(TestSlides.BoxesPng);
        File.WriteAllBytes(temp.File("cut.png"), png[..40]);
        var error = Assert.Throws<SlideOpenException>(() => SlideReader.Open(temp.File("cut.png")));
        Assert.Contains("cut.png", error.Message);
        Assert.Contains("cannot decode", error.Message);
    }

    [Fact]
    public void Open_Folder_SaysItIsAFolder()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<SlideOpenException>(() => SlideReader.Open(temp.Path));
        Assert.Contains("folder", error.Message);
    }

    [Fact]
    public void ReadRegion_InvalidArguments_AreRejectedWithTheirValues()
    {
        using ISlide slide = SlideReader.Open(TestSlides.BoxesTiff);
        using var destination = new Mat();
        Assert.Throws<ArgumentOutOfRangeException>(() => slide.ReadRegion(0, 0, 4, 10, 10, destination));
        Assert.Throws<ArgumentOutOfRangeException>(() => slide.ReadRegion(0, 0, -1, 10, 10, destination));
        Assert.Throws<ArgumentOutOfRangeException>(() => slide.ReadRegion(0, 0, 0, 0, 10, destination));
        Assert.Throws<ArgumentOutOfRangeException>(() => slide.ReadRegion(0, 0, 0, 20_000, 20_000, destination));
    }

    [Fact]
    public void ReadRegion_AfterDispose_Throws()
    {
        ISlide slide = SlideReader.Open(TestSlides.BoxesTiff);
        slide.Dispose();
        Assert.Throws<ObjectDisposedException>(() => slide.ReadRegion(0, 0, 0, 8, 8));
    }

    private static byte[] Bytes(Mat mat)
    {
        mat.GetArray(out Vec3b[] pixels);
        return pixels.SelectMany(p => new[] { p.Item0, p.Item1, p.Item2 }).ToArray();
    }

    internal static double MeanSaturation(Mat bgr)
    {
        using var hsv = new Mat();
        Cv2.CvtColor(bgr, hsv, ColorConversionCodes.BGR2HSV);
        return Cv2.Mean(hsv).Val1;
    }
}
