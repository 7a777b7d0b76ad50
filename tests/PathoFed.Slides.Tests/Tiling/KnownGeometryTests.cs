using OpenCvSharp;
using PathoFed.Slides.Patching;
using PathoFed.Slides.Synthetic;
using PathoFed.Slides.Tiling;

namespace PathoFed.Slides.Tests.Tiling;

/// <summary>Tiling checked against slides whose tissue geometry is known exactly (generated pyramidal JPEG TIFFs).</summary>
public sealed class KnownGeometryTests : IClassFixture<KnownGeometryTests.GeneratedSlides>
{
    private readonly GeneratedSlides _slides;

    public KnownGeometryTests(GeneratedSlides slides) => _slides = slides;

    [Fact]
    public async Task Tile_GeneratedAperio_MeasuresTheKnownTissueAreaRegionsAndHole()
    {
        using var temp = new TempFolder();
        SlideRecord record = await new SlideTiler(TilingSettings.Default).TileAsync(new SlideSource("aperio", _slides.Aperio), temp.Path);

        Assert.Equal("aperio", record.Slide.Vendor);
        Assert.InRange(record.Tissue.AreaLevel0Px / GeneratedSlides.Spec.TissueAreaLevel0Px, 0.95, 1.05);
        Assert.Equal(2, record.Tissue.Regions);
        string geojson = File.ReadAllText(temp.File(TissueGeoJson.FileName));
        Assert.Equal(2, geojson.Split("\"type\":\"Feature\"").Length - 1);
    }

    [Fact]
    public async Task Tile_GeneratedAperio_KeepsThePatchesTheGeometryPredicts()
    {
        using var temp = new TempFolder();
        SlideRecord record = await new SlideTiler(TilingSettings.Default).TileAsync(new SlideSource("aperio", _slides.Aperio), temp.Path);
        PatchTable table = await PatchTable.ReadAsync(temp.File(PatchTable.FileName));

        int expected = 0;
        SyntheticSlideSpec spec = GeneratedSlides.Spec;
        for (long y = 0; y + 256 <= spec.Height; y += 256)
        {
            for (long x = 0; x + 256 <= spec.Width; x += 256)
            {
                if (AnalyticTissueFraction(spec, x, y, 256) >= 0.5) expected++;
            }
        }
        Assert.Equal(record.Patches, table.Patches.Count);
        Assert.InRange(table.Patches.Count, expected * 0.95, expected * 1.05);
        // Nothing is kept on the pen stroke or inside the hole.
        Assert.All(table.Patches, p => Assert.True(AnalyticTissueFraction(spec, p.Level0X, p.Level0Y, 256) > 0.3,
            $"patch at {p.Level0X},{p.Level0Y} is mostly not tissue"));
    }

    [Fact]
    public void ReadPatch_GeneratedTissue_LooksStainedAndGlassLooksWhite()
    {
        using ISlide slide = SlideReader.Open(_slides.Aperio);
        var geometry = PatchGridGeometry.Resolve(slide.Metadata, slide.Path, PatchGridOptions.Default);
        using var reader = new PatchReader(slide, geometry);
        using var tissue = new Mat();
        using var glass = new Mat();
        SyntheticEllipse first = GeneratedSlides.Spec.Tissue[0];
        reader.Read((long)first.CenterX - 128, (long)first.CenterY - 128, tissue);
        reader.Read(10, 10, glass);

        Assert.True(Reading.SlideReaderTests.MeanSaturation(tissue) > 40, $"tissue saturation {Reading.SlideReaderTests.MeanSaturation(tissue)}");
        Assert.True(Reading.SlideReaderTests.MeanSaturation(glass) < 15, $"glass saturation {Reading.SlideReaderTests.MeanSaturation(glass)}");
    }

    [Fact]
    public void Open_GeneratedGenericTiff_TakesMppFromResolutionTagsAndReadsCoarseTargetsFromLevel1()
    {
        using ISlide slide = SlideReader.Open(_slides.GenericTiff);
        Assert.Equal("generic-tiff", slide.Metadata.Vendor);
        Assert.Equal(MppSource.TiffResolution, slide.Metadata.MppSource);
        Assert.Equal(0.5, slide.Metadata.Mpp!.Value, 4);

        var geometry = PatchGridGeometry.Resolve(slide.Metadata, slide.Path, new PatchGridOptions { TargetMpp = 2.0, PatchSizePx = 224 });
        Assert.Equal(1, geometry.ReadLevel);
        Assert.Equal(4.0, slide.Metadata.Levels[1].Downsample, 2);
        Assert.Equal(224, geometry.ReadSizePx);
    }

    /// <summary>Fraction of a square inside tissue ellipses and outside holes, sampled on a 16 x 16 grid.</summary>
    private static double AnalyticTissueFraction(SyntheticSlideSpec spec, long x, long y, int size)
    {
        int inside = 0;
        for (int j = 0; j < 16; j++)
        {
            for (int i = 0; i < 16; i++)
            {
                double px = x + (i + 0.5) * size / 16.0, py = y + (j + 0.5) * size / 16.0;
                if (spec.Tissue.Any(e => e.Contains(px, py)) && !spec.Holes.Any(h => h.Contains(px, py))) inside++;
            }
        }
        return inside / 256.0;
    }

    /// <summary>Writes the two slides once for the whole class.</summary>
    public sealed class GeneratedSlides : IDisposable
    {
        private readonly TempFolder _folder = new();

        public static SyntheticSlideSpec Spec { get; } = new(8_000, 6_000,
            [new SyntheticEllipse(2_600, 3_000, 1_800, 2_200), new SyntheticEllipse(6_200, 2_400, 1_200, 1_500)])
        {
            Holes = [new SyntheticEllipse(2_300, 2_600, 500, 400)],
            PenStrokes = [new PenStroke([(5_000, 5_300), (7_800, 5_700)], 60, PenColor.Blue)],
            Mpp = 0.5,
            ObjectivePower = 20,
        };

        public GeneratedSlides()
        {
            Aperio = _folder.File("known.svs");
            GenericTiff = _folder.File("known.tiff");
            SyntheticSlideWriter.Write(Aperio, Spec);
            SyntheticSlideWriter.Write(GenericTiff, Spec with { Flavor = SyntheticSlideFlavor.GenericTiff });
        }

        public string Aperio { get; }

        public string GenericTiff { get; }

        public void Dispose() => _folder.Dispose();
    }
}
