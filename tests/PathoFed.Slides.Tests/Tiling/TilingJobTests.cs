using PathoFed.Slides.Batches;
using System.Text.Json;
using OpenCvSharp;
using PathoFed.Slides.Patching;
using PathoFed.Slides.Tiling;

namespace PathoFed.Slides.Tests.Tiling;

public sealed class TilingJobTests
{
    [Fact]
    public async Task TileAsync_RealSlide_WritesAllOutputsConsistentWithTheGrid()
    {
        using var temp = new TempFolder();
        var source = new SlideSource("small_HE", TestSlides.SmallHE);
        SlideRecord record = await new SlideTiler(TilingSettings.Default).TileAsync(source, temp.Path);

        PatchTable table = await PatchTable.ReadAsync(temp.File(PatchTable.FileName));
        Assert.Equal(record.Patches, table.Patches.Count);
        Assert.InRange(table.Patches.Count, 15, 60);
        Assert.Equal(record.Geometry, table.Geometry);
        Assert.Equal("small_HE", table.Metadata["pathofed.slide_id"]);
        Assert.All(table.Patches, p => Assert.True(p.TissueFraction >= 0.5f));
        Assert.Equal(table.Patches.OrderBy(p => p.Level0Y).ThenBy(p => p.Level0X), table.Patches);

        using var qc = Cv2.ImRead(temp.File(QcImage.FileName));
        Assert.Equal((1533, 2048), (qc.Width, qc.Height));

        SlideRecord? written = SlideRecord.TryRead(temp.File(SlideRecord.FileName));
        Assert.NotNull(written);
        Assert.Equal(record.Fingerprint, written.Fingerprint);
        Assert.Equal("aperio", written.Slide.Vendor);
        Assert.Equal(0.499, written.Slide.Mpp!.Value, 6);
    }

    [Fact]
    public async Task TileAsync_TissueGeoJson_IsAClosedPolygonFeatureCollectionInsideTheSlide()
    {
        using var temp = new TempFolder();
        await new SlideTiler(TilingSettings.Default).TileAsync(new SlideSource("he", TestSlides.SmallHE), temp.Path);

        using JsonDocument geo = JsonDocument.Parse(File.ReadAllText(temp.File(TissueGeoJson.FileName)));
        Assert.Equal("FeatureCollection", geo.RootElement.GetProperty("type").GetString());
        JsonElement[] features = geo.RootElement.GetProperty("features").EnumerateArray().ToArray();
        Assert.NotEmpty(features);
        foreach (JsonElement feature in features)
        {
            Assert.Equal("Polygon", feature.GetProperty("geometry").GetProperty("type").GetString());
            Assert.Equal("annotation", feature.GetProperty("properties").GetProperty("objectType").GetString());
            Assert.Equal("Tissue", feature.GetProperty("properties").GetProperty("classification").GetProperty("name").GetString());
            foreach (JsonElement ring in feature.GetProperty("geometry").GetProperty("coordinates").EnumerateArray())
            {
                double[][] points = ring.EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
                Assert.True(points.Length >= 4);
                Assert.Equal(points[0], points[^1]);
                Assert.All(points, p => Assert.True(p[0] is >= 0 and <= 2220 && p[1] is >= 0 and <= 2967));
            }
        }
    }

    [Fact]
    public async Task RunAsync_MixedBatch_TilesTheGoodSlidesAndListsTheBadOnes()
    {
        using var temp = new TempFolder();
        var sources = new[]
        {
            new SlideSource("he", TestSlides.SmallHE),
            new SlideSource("unopenable", TestSlides.Bad.UnopenableTiff),
            new SlideSource("corrupt", TestSlides.Bad.UnreadableSvs),
            new SlideSource("no-mpp", TestSlides.BoxesTiff),
            new SlideSource("boxes", TestSlides.BoxesTiff, MppOverride: 0.25),
            new SlideSource("missing", "/nonexistent/missing.svs"),
        };
        var job = new TilingJob(new TilingSettings(new PatchGridOptions { PatchSizePx = 64 }, TilingSettings.Default.Tissue), temp.Path, workers: 2);
        SlideBatchResult result = await job.RunAsync(sources);

        Assert.Equal([SlideOutcomeKind.Done, SlideOutcomeKind.Failed, SlideOutcomeKind.Failed, SlideOutcomeKind.Failed, SlideOutcomeKind.Done, SlideOutcomeKind.Failed],
            result.Outcomes.Select(o => o.Kind));
        List<string[]> errors = Csv.Parse(File.ReadAllText(temp.File(SlideBatch.ErrorsFileName)));
        Assert.Equal(["slide_id", "path", "error"], errors[0]);
        Assert.Equal(["unopenable", "corrupt", "no-mpp", "missing"], errors.Skip(1).Select(r => r[0]));
        Assert.Contains("Unsupported TIFF compression", errors[1][2]);
        Assert.Contains("unreadable.svs", errors[2][2]);
        Assert.Contains("--slide-mpp", errors[3][2]);
        Assert.Contains("not found", errors[4][2]);
        Assert.True(File.Exists(Path.Combine(temp.Path, "he", SlideRecord.FileName)));
        Assert.False(Directory.Exists(Path.Combine(temp.Path, "corrupt")), "a failed slide leaves no empty folder behind");
    }

    [Fact]
    public async Task RunAsync_SecondRun_SkipsCompletedSlidesWithoutRewritingThem()
    {
        using var temp = new TempFolder();
        var sources = new[] { new SlideSource("he", TestSlides.SmallHE) };
        var job = new TilingJob(TilingSettings.Default, temp.Path, workers: 1);
        await job.RunAsync(sources);
        string table = Path.Combine(temp.Path, "he", PatchTable.FileName);
        DateTime written = File.GetLastWriteTimeUtc(table);

        SlideBatchResult again = await job.RunAsync(sources);

        Assert.Equal(SlideOutcomeKind.Skipped, Assert.Single(again.Outcomes).Kind);
        Assert.Equal(written, File.GetLastWriteTimeUtc(table));
        Assert.True(again.Outcomes[0].Patches > 0);
    }

    [Fact]
    public async Task RunAsync_ChangedSettings_RedoesTheSlide()
    {
        using var temp = new TempFolder();
        var sources = new[] { new SlideSource("he", TestSlides.SmallHE) };
        SlideBatchResult first = await new TilingJob(TilingSettings.Default, temp.Path, 1).RunAsync(sources);
        var finer = new TilingSettings(new PatchGridOptions { PatchSizePx = 128 }, TilingSettings.Default.Tissue);
        SlideBatchResult second = await new TilingJob(finer, temp.Path, 1).RunAsync(sources);

        Assert.Equal(SlideOutcomeKind.Done, second.Outcomes[0].Kind);
        Assert.True(second.Outcomes[0].Patches > 3 * first.Outcomes[0].Patches);
        PatchTable table = await PatchTable.ReadAsync(Path.Combine(temp.Path, "he", PatchTable.FileName));
        Assert.Equal(128, table.Geometry.PatchSizePx);
    }

    [Fact]
    public async Task RunAsync_InterruptedSlide_IsRedoneAndStrayTempFilesAreHarmless()
    {
        using var temp = new TempFolder();
        var sources = new[] { new SlideSource("he", TestSlides.SmallHE) };
        var job = new TilingJob(TilingSettings.Default, temp.Path, 1);
        await job.RunAsync(sources);
        // What a SIGKILL mid-slide leaves: outputs without the completion record, and a half-written temp file.
        string folder = Path.Combine(temp.Path, "he");
        File.Delete(Path.Combine(folder, SlideRecord.FileName));
        File.WriteAllText(Path.Combine(folder, ".tmp-0123-patches.parquet"), "half");
        File.WriteAllText(Path.Combine(folder, PatchTable.FileName), "truncated");

        SlideBatchResult again = await job.RunAsync(sources);

        Assert.Equal(SlideOutcomeKind.Done, again.Outcomes[0].Kind);
        PatchTable table = await PatchTable.ReadAsync(Path.Combine(folder, PatchTable.FileName));
        Assert.Equal(again.Outcomes[0].Patches, table.Patches.Count);
    }

    [Fact]
    public async Task ReadAsync_NotAPatchTable_SaysSo()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("x.parquet"), "not parquet");
        await Assert.ThrowsAnyAsync<Exception>(() => PatchTable.ReadAsync(temp.File("x.parquet")));
    }
}
