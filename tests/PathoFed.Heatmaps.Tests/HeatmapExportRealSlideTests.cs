using System.Text.Json;
using OpenCvSharp;
using PathoFed.Slides;
using PathoFed.Slides.Patching;

namespace PathoFed.Heatmaps.Tests;

/// <summary>Every output on the real H&amp;E slide (small_HE.svs, 2220 x 2967 at 0.499 µm/px).</summary>
public sealed class HeatmapExportRealSlideTests
{
    private const int Px = 128;
    private const string SlideId = "small_HE";

    /// <summary>Every whole 128-px patch of the slide, scores a seeded shuffle of distinct values.</summary>
    private static List<(long X, long Y, float Score)> AllPatches()
    {
        var patches = new List<(long, long, float)>();
        for (long y = 0; y + Px <= 2967; y += Px)
        {
            for (long x = 0; x + Px <= 2220; x += Px) patches.Add((x, y, 0));
        }
        float[] scores = [.. Enumerable.Range(0, patches.Count).Select(i => i / (float)patches.Count)];
        new Random(7).Shuffle(scores);
        return [.. patches.Select((p, i) => (p.Item1, p.Item2, scores[i]))];
    }

    [Fact]
    public async Task Run_RealSlide_WritesEveryFileAndAPyramidAlignedToTheSlide()
    {
        using var folder = new TempFolder();
        List<(long X, long Y, float Score)> patches = AllPatches();
        string scores = await HeatmapTestData.WriteScoresAsync(folder, SlideId, HeatmapTestData.Level0Grid(Px), patches);

        HeatmapResult result = HeatmapExport.Run(HeatmapTestData.Options(TestSlides.SmallHE, scores, folder));

        Assert.Equal(["gallery.png", "heatmap-raw.png", "heatmap-raw.tif", "heatmap.geojson", "heatmap.tif", "overlay.png"],
            Directory.GetFiles(result.OutputFolder).Select(Path.GetFileName).Order());
        Assert.Equal(patches.Count, result.PatchCount);
        using ISlide heatmap = SlideReader.Open(Path.Combine(result.OutputFolder, "heatmap.tif"));
        using ISlide source = SlideReader.Open(TestSlides.SmallHE);
        Assert.Equal((source.Metadata.Level0Width, source.Metadata.Level0Height), (heatmap.Metadata.Level0Width, heatmap.Metadata.Level0Height));
        Assert.Equal(source.Metadata.Mpp!.Value, heatmap.Metadata.Mpp!.Value, 4);
        Assert.True(heatmap.Metadata.LevelCount >= 2);
        Assert.True(Math.Max(heatmap.Metadata.Levels[^1].Width, heatmap.Metadata.Levels[^1].Height) <= 2000);
        using Mat overlay = Cv2.ImRead(Path.Combine(result.OutputFolder, "overlay.png"));
        Assert.Equal((2220 * 2000 / 2967 + 1 + 150, 2000), (overlay.Width, overlay.Height));
    }

    [Fact]
    public async Task Run_GeoJson_ParsesBackAsQuPathDetectionsWithScores()
    {
        using var folder = new TempFolder();
        List<(long X, long Y, float Score)> patches = AllPatches();
        string scores = await HeatmapTestData.WriteScoresAsync(folder, SlideId, HeatmapTestData.Level0Grid(Px), patches);
        HeatmapResult result = await HeatmapExport.RunAsync(HeatmapTestData.Options(TestSlides.SmallHE, scores, folder));

        using JsonDocument json = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(result.OutputFolder, "heatmap.geojson")));
        Assert.Equal("FeatureCollection", json.RootElement.GetProperty("type").GetString());
        JsonElement[] features = [.. json.RootElement.GetProperty("features").EnumerateArray()];
        Assert.Equal(patches.Count, features.Length);
        for (int i = 0; i < features.Length; i++)
        {
            JsonElement properties = features[i].GetProperty("properties");
            Assert.Equal("detection", properties.GetProperty("objectType").GetString());
            Assert.Equal("PathoFed patch", properties.GetProperty("classification").GetProperty("name").GetString());
            Assert.Equal(3, properties.GetProperty("classification").GetProperty("color").GetArrayLength());
            Assert.Equal(patches[i].Score, properties.GetProperty("measurements").GetProperty("score").GetSingle());

            JsonElement geometry = features[i].GetProperty("geometry");
            Assert.Equal("Polygon", geometry.GetProperty("type").GetString());
            long[][] ring = [.. geometry.GetProperty("coordinates")[0].EnumerateArray().Select(p => new[] { p[0].GetInt64(), p[1].GetInt64() })];
            (long x, long y) = (patches[i].X, patches[i].Y);
            Assert.Equal([[x, y], [x + Px, y], [x + Px, y + Px], [x, y + Px], [x, y]], ring);
        }
    }

    [Fact]
    public async Task Run_Gallery_ShowsTheKHighestAndKLowestPatchesAsReadFromTheSlide()
    {
        using var folder = new TempFolder();
        List<(long X, long Y, float Score)> patches = AllPatches();
        string scores = await HeatmapTestData.WriteScoresAsync(folder, SlideId, HeatmapTestData.Level0Grid(Px), patches);
        const int K = 3;

        HeatmapResult result = await HeatmapExport.RunAsync(HeatmapTestData.Options(TestSlides.SmallHE, scores, folder) with { GalleryCount = K });

        int[] byScore = [.. Enumerable.Range(0, patches.Count).OrderBy(i => patches[i].Score)];
        Assert.Equal(byScore[^K..].Reverse(), result.Gallery.Highest);
        Assert.Equal(byScore[..K], result.Gallery.Lowest);

        using Mat gallery = Cv2.ImRead(Path.Combine(result.OutputFolder, "gallery.png"));
        Assert.Equal((K * Px + (K - 1) * PatchGallery.GutterPx, 2 * (Px + PatchGallery.CaptionHeightPx)), (gallery.Width, gallery.Height));
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        using var reader = new PatchReader(slide, HeatmapTestData.Level0Grid(Px));
        using var expected = new Mat();
        IReadOnlyList<int>[] rows = [result.Gallery.Highest, result.Gallery.Lowest];
        for (int row = 0; row < 2; row++)
        {
            for (int column = 0; column < K; column++)
            {
                var patch = patches[rows[row][column]];
                reader.Read(patch.X, patch.Y, expected);
                Point origin = PatchGallery.TileOrigin(row, column, Px);
                using Mat shown = gallery[new Rect(origin.X, origin.Y, Px, Px)];
                using var difference = new Mat();
                Cv2.Absdiff(shown, expected, difference);
                Assert.Equal(0, Cv2.CountNonZero(difference.Reshape(1)));
                // The caption band holds the printed score: dark text on white.
                using Mat caption = gallery[new Rect(origin.X, origin.Y + Px, Px, PatchGallery.CaptionHeightPx)];
                using Mat ink = caption.InRange(Scalar.All(0), Scalar.All(128));
                Assert.True(Cv2.CountNonZero(ink) > 30, "caption band is empty");
            }
        }
    }

    [Fact]
    public async Task Run_OverlappingPatches_RawScoresAreTheHandComputedAverages()
    {
        using var folder = new TempFolder();
        // 256-px patches at a 128-px stride (overlap 128): A, B to its right, C below A.
        string scores = await HeatmapTestData.WriteScoresAsync(folder, SlideId, HeatmapTestData.Level0Grid(256, overlapPx: 128),
            [(512, 512, 1f), (640, 512, 2f), (512, 640, 6f)]);

        HeatmapResult result = await HeatmapExport.RunAsync(HeatmapTestData.Options(TestSlides.SmallHE, scores, folder) with { Smooth = true });

        using Mat raw = Cv2.ImRead(Path.Combine(result.OutputFolder, "heatmap-raw.tif"), ImreadModes.Unchanged);
        Assert.Equal((18, 24), (raw.Width, raw.Height));
        (int c, int r) = (4, 4);
        Assert.Equal([1f, 1.5f, 2f], [raw.At<float>(r, c), raw.At<float>(r, c + 1), raw.At<float>(r, c + 2)]);
        Assert.Equal([3.5f, 3f, 2f], [raw.At<float>(r + 1, c), raw.At<float>(r + 1, c + 1), raw.At<float>(r + 1, c + 2)]);
        Assert.Equal([6f, 6f], [raw.At<float>(r + 2, c), raw.At<float>(r + 2, c + 1)]);
        Assert.True(float.IsNaN(raw.At<float>(r + 2, c + 2)));

        // Smoothed colours stay on the 8 covered cells: the other cells are transparent.
        using Mat colours = Cv2.ImRead(Path.Combine(result.OutputFolder, "heatmap-raw.png"), ImreadModes.Unchanged);
        using Mat alpha = colours.ExtractChannel(3);
        Assert.Equal(8, Cv2.CountNonZero(alpha));
        Assert.Equal(0, alpha.At<byte>(r + 2, c + 2));
        Assert.Equal(0, alpha.At<byte>(r - 1, c));
    }
}
