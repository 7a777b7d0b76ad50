using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using OpenCvSharp;
using PathoFed.Heatmaps.Viewer;
using PathoFed.Slides;

namespace PathoFed.Heatmaps.Tests.Viewer;

/// <summary>The viewer's endpoints over HTTP against the real small_HE slide (2220 x 2967: Deep Zoom levels 0-12).</summary>
public sealed class ViewerHttpTests(ViewerFixture viewer) : IClassFixture<ViewerFixture>
{
    private const int MaxLevel = 12;

    private HttpClient Client => viewer.Client;

    [Fact]
    public async Task Dzi_KnownSlide_DescribesTheFullLevel0SizeIn254PxJpegTilesWithOverlap1()
    {
        using HttpResponseMessage response = await Client.GetAsync("/dzi/small_HE.dzi");
        response.EnsureSuccessStatusCode();
        XElement image = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!;
        XNamespace ns = "http://schemas.microsoft.com/deepzoom/2008";
        Assert.Equal(ns + "Image", image.Name);
        Assert.Equal(("254", "1", "jpeg"), ((string)image.Attribute("TileSize")!, (string)image.Attribute("Overlap")!, (string)image.Attribute("Format")!));
        XElement size = image.Element(ns + "Size")!;
        Assert.Equal(("2220", "2967"), ((string)size.Attribute("Width")!, (string)size.Attribute("Height")!));
    }

    [Theory]
    [InlineData(MaxLevel, 0, 0, 255, 255)]
    [InlineData(MaxLevel, 1, 1, 256, 256)]
    [InlineData(MaxLevel, 8, 11, 189, 174)] // last column and row: 2220 − 8·254 + 1, 2967 − 11·254 + 1
    [InlineData(11, 4, 5, 95, 215)] // level 11 is 1110 x 1484
    [InlineData(8, 0, 0, 139, 186)] // one tile: ceil(2220 / 16) x ceil(2967 / 16)
    [InlineData(0, 0, 0, 1, 1)]
    public async Task SlideTile_AtLevel_HasTheDeepZoomSizeAndCacheHeaders(int level, int column, int row, int width, int height)
    {
        using HttpResponseMessage response = await Client.GetAsync($"/dzi/small_HE_files/{level}/{column}_{row}.jpeg");
        response.EnsureSuccessStatusCode();
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType!.MediaType);
        Assert.NotNull(response.Headers.CacheControl?.MaxAge);
        using Mat tile = Cv2.ImDecode(await response.Content.ReadAsByteArrayAsync(), ImreadModes.Color);
        Assert.Equal((width, height), (tile.Width, tile.Height));
    }

    [Theory]
    [InlineData(MaxLevel, 9, 0)]
    [InlineData(MaxLevel, 0, 12)]
    [InlineData(MaxLevel + 1, 0, 0)]
    public async Task SlideTile_OutsideThePyramid_Is404(int level, int column, int row)
    {
        using HttpResponseMessage response = await Client.GetAsync($"/dzi/small_HE_files/{level}/{column}_{row}.jpeg");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData(MaxLevel, 3, 5, 1)] // full resolution: level-0 (761, 1269), 256 px
    [InlineData(11, 2, 3, 2)] // half: level-0 (1014, 1522), 512 px shrunk to 256
    public async Task SlideTile_Pixels_EqualReadRegionOfTheSameAreaWithinJpegTolerance(int level, int column, int row, int level0PerPx)
    {
        byte[] jpeg = await Client.GetByteArrayAsync($"/dzi/small_HE_files/{level}/{column}_{row}.jpeg");
        using Mat tile = Cv2.ImDecode(jpeg, ImreadModes.Color);

        long left = (column * 254 - 1) * level0PerPx, top = (row * 254 - 1) * level0PerPx;
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        Scalar aligned = MeanError(slide, tile, left, top, level0PerPx);
        Assert.True(aligned.Val0 < 5 && aligned.Val1 < 5 && aligned.Val2 < 5, $"mean absolute difference {aligned} is beyond JPEG error");
        // Alignment, not just similarity: one tile pixel off is clearly worse.
        Scalar shifted = MeanError(slide, tile, left + level0PerPx, top, level0PerPx);
        Assert.True(shifted.Val0 > 2 * aligned.Val0, $"shifted {shifted} vs aligned {aligned}");
    }

    /// <summary>Per-channel mean |tile − slide area shrunk to the tile|.</summary>
    private static Scalar MeanError(ISlide slide, Mat tile, long level0Left, long level0Top, int level0PerPx)
    {
        using Mat region = slide.ReadRegion(level0Left, level0Top, 0, tile.Width * level0PerPx, tile.Height * level0PerPx);
        using var expected = new Mat();
        Cv2.Resize(region, expected, tile.Size(), interpolation: InterpolationFlags.Area);
        using var difference = new Mat();
        Cv2.Absdiff(tile, expected, difference);
        return Cv2.Mean(difference);
    }

    [Theory]
    [InlineData("jet", HeatmapColormap.Jet)]
    [InlineData("viridis", HeatmapColormap.Viridis)]
    public async Task HeatmapTile_AtTheHotPatch_HasTheTopColourAndIsTransparentWhereNoPatchLies(string cmap, HeatmapColormap colormap)
    {
        string descriptor = await Client.GetStringAsync($"/heatmap/small_HE.dzi?cmap={cmap}");
        Assert.Contains("Format=\"png\"", descriptor);
        Assert.Contains("Width=\"2220\" Height=\"2967\"", descriptor);

        // Level-0 (1088, 1600), the hot patch's centre, lies in full-resolution tile (4, 6), which starts at (1015, 1523).
        using Mat hot = await HeatmapTileAsync($"/heatmap/small_HE_files/{MaxLevel}/4_6.png?cmap={cmap}");
        Vec4b centre = hot.At<Vec4b>(1600 - 1523, 1088 - 1015);
        byte[] top = new HeatmapPalette(colormap).Bgr(HeatmapPalette.Entries - 1).ToArray();
        Assert.Equal([top[0], top[1], top[2], (byte)255], [centre.Item0, centre.Item1, centre.Item2, centre.Item3]);
        Vec4b lowPatch = hot.At<Vec4b>(10, 10);
        Assert.Equal(255, lowPatch.Item3);
        Assert.NotEqual((top[0], top[1], top[2]), (lowPatch.Item0, lowPatch.Item1, lowPatch.Item2));

        // Whole patches end at x = 17 · 128 = 2176: the strip to the slide's right edge has no data.
        using Mat edge = await HeatmapTileAsync($"/heatmap/small_HE_files/{MaxLevel}/8_6.png?cmap={cmap}");
        Assert.Equal(0, edge.At<Vec4b>(77, 2200 - 2031).Item3);
    }

    [Fact]
    public async Task Heatmap_SlideWithoutPatchScores_Is404AndAnUnknownColourMapIs400()
    {
        using HttpResponseMessage none = await Client.GetAsync("/heatmap/small.dzi");
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Contains("No patch scores for slide 'small'", await none.Content.ReadAsStringAsync());
        using HttpResponseMessage badMap = await Client.GetAsync($"/heatmap/small_HE_files/{MaxLevel}/0_0.png?cmap=rainbow");
        Assert.Equal(HttpStatusCode.BadRequest, badMap.StatusCode);
        Assert.Contains("rainbow", await badMap.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Patches_AtTheHotPatch_ReturnsItsScore_AndNullWhereNoPatchLies()
    {
        using JsonDocument hot = JsonDocument.Parse(await Client.GetStringAsync("/api/patches/small_HE?x=1088&y=1600"));
        JsonElement patch = hot.RootElement.GetProperty("patch");
        Assert.Equal((ViewerFixture.HotX, ViewerFixture.HotY, ViewerFixture.PatchPx), (patch.GetProperty("level0X").GetInt64(), patch.GetProperty("level0Y").GetInt64(), patch.GetProperty("level0Size").GetInt32()));
        Assert.Equal(ViewerFixture.HotScore, patch.GetProperty("score").GetSingle());
        Assert.Equal(ViewerFixture.HotScore, patch.GetProperty("cellScore").GetSingle());
        Assert.Equal("attention", hot.RootElement.GetProperty("scoreKind").GetString());

        var (x, y, score) = ViewerFixture.Patches()[20];
        using JsonDocument other = JsonDocument.Parse(await Client.GetStringAsync($"/api/patches/small_HE?x={x + 5}&y={y + 127}"));
        Assert.Equal(score, other.RootElement.GetProperty("patch").GetProperty("score").GetSingle());

        using JsonDocument outside = JsonDocument.Parse(await Client.GetStringAsync("/api/patches/small_HE?x=2200&y=10"));
        Assert.Equal(JsonValueKind.Null, outside.RootElement.GetProperty("patch").ValueKind);
    }

    [Theory]
    [InlineData("/api/patches/small_HE?x=abc&y=1", HttpStatusCode.BadRequest)]
    [InlineData("/api/patches/small_HE?x=1", HttpStatusCode.BadRequest)]
    [InlineData("/api/patches/small?x=1&y=1", HttpStatusCode.NotFound)]
    [InlineData("/api/patches/nope?x=1&y=1", HttpStatusCode.NotFound)]
    public async Task Patches_BadQueryOrNoScores_IsRefused(string url, HttpStatusCode expected)
    {
        using HttpResponseMessage response = await Client.GetAsync(url);
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task SlideList_IsSortedByTheLastClassProbability_UnscoredSlidesLast_UnknownIdsLeftOut()
    {
        using JsonDocument list = JsonDocument.Parse(await Client.GetStringAsync("/api/slides"));
        Assert.Equal("p_tumor", list.RootElement.GetProperty("rankColumn").GetString());
        JsonElement[] slides = [.. list.RootElement.GetProperty("slides").EnumerateArray()];
        Assert.Equal(["small_HE", "small", "boxes"], slides.Select(s => s.GetProperty("id").GetString()));
        Assert.Equal(0.9, slides[0].GetProperty("score").GetProperty("values").GetProperty("p_tumor").GetDouble());
        Assert.True(slides[0].GetProperty("hasPatchScores").GetBoolean());
        Assert.False(slides[1].GetProperty("hasPatchScores").GetBoolean());
        Assert.Equal(JsonValueKind.Null, slides[2].GetProperty("score").ValueKind);
    }

    [Fact]
    public async Task SlideDetails_GiveSizeAndTheHeatmapRange()
    {
        using JsonDocument details = JsonDocument.Parse(await Client.GetStringAsync("/api/slides/small_HE"));
        JsonElement root = details.RootElement;
        Assert.Equal((2220, 2967), (root.GetProperty("width").GetInt64(), root.GetProperty("height").GetInt64()));
        JsonElement heatmap = root.GetProperty("heatmap");
        Assert.Equal(ViewerFixture.Patches().Count, heatmap.GetProperty("patchCount").GetInt32());
        Assert.True(heatmap.GetProperty("highScore").GetDouble() > heatmap.GetProperty("lowScore").GetDouble());
    }

    [Fact]
    public async Task Pages_ListAndViewerAreServedWithTheBundledOpenSeadragon_NoCdn()
    {
        string index = await Client.GetStringAsync("/");
        Assert.Contains("PathoFed slides", index);
        string view = await Client.GetStringAsync("/view/small_HE");
        Assert.Contains("/lib/openseadragon/openseadragon.min.js", view);
        Assert.DoesNotContain("http", view.Replace("http://schemas", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        byte[] library = await Client.GetByteArrayAsync("/lib/openseadragon/openseadragon.min.js");
        Assert.True(library.Length > 100_000);
        using HttpResponseMessage button = await Client.GetAsync("/lib/openseadragon/images/zoomin_rest.png");
        Assert.Equal(HttpStatusCode.OK, button.StatusCode);
        using HttpResponseMessage unknown = await Client.GetAsync("/view/nope");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task ColourBar_IsTheJetRampHighAtTheTop()
    {
        using Mat bar = Cv2.ImDecode(await Client.GetByteArrayAsync("/api/colorbar?cmap=jet"), ImreadModes.Color);
        Assert.Equal((16, 256), (bar.Width, bar.Height));
        var palette = new HeatmapPalette(HeatmapColormap.Jet);
        Assert.Equal(palette.Colour(255), ToScalar(bar.At<Vec3b>(0, 8)));
        Assert.Equal(palette.Colour(0), ToScalar(bar.At<Vec3b>(255, 8)));
    }

    /// <summary>Traversal attempts sent raw (HttpClient would normalise them): refused, and never the secret beside the folders.</summary>
    [Theory]
    [InlineData("/dzi/..%2f..%2fetc%2fpasswd.dzi")]
    [InlineData("/dzi/..%2F..%2Fsecret.txt")]
    [InlineData("/dzi/%2e%2e/x.dzi")]
    [InlineData("/dzi/%2e%2e/%2e%2e/secret.txt")]
    [InlineData("/dzi/../../secret.txt")]
    [InlineData("/dzi/..%5c..%5csecret.txt")]
    [InlineData("/dzi/..\\..\\secret.txt")]
    [InlineData("/dzi//etc/passwd.dzi")]
    [InlineData("/dzi/%2fetc%2fpasswd.dzi")]
    [InlineData("/dzi/nope.dzi")]
    [InlineData("/dzi/small_HE_files/12/..%2f..%2f..%2fsecret.txt")]
    [InlineData("/heatmap/..%2fsecret.dzi")]
    [InlineData("/view/..%2f..%2fsecret.txt")]
    [InlineData("/api/patches/%2e%2e%2fsecret?x=1&y=1")]
    [InlineData("/api/slides/..")]
    [InlineData("/lib/../../secret.txt")]
    [InlineData("/lib/openseadragon/%2e%2e/%2e%2e/%2e%2e/secret.txt")]
    [InlineData("/secret.txt")]
    public async Task TraversalAttempt_IsRefusedWith400Or404_AndNeverServesAFileOutsideTheFolders(string target)
    {
        (int status, string body) = await RawHttp.GetAsync(viewer.Host.Port, target);
        Assert.True(status is 400 or 404, $"{target} answered {status}");
        Assert.DoesNotContain(ViewerFixture.Secret, body);
        Assert.DoesNotContain("root:", body);
    }

    [Fact]
    public async Task RawHttp_PlainTarget_IsServed()
    {
        // The raw client itself works: refusals above are the server's doing.
        (int status, string body) = await RawHttp.GetAsync(viewer.Host.Port, "/dzi/small_HE.dzi");
        Assert.Equal(200, status);
        Assert.Contains("2220", body);
    }

    private async Task<Mat> HeatmapTileAsync(string url)
    {
        using HttpResponseMessage response = await Client.GetAsync(url);
        response.EnsureSuccessStatusCode();
        Assert.Equal("image/png", response.Content.Headers.ContentType!.MediaType);
        Mat tile = Cv2.ImDecode(await response.Content.ReadAsByteArrayAsync(), ImreadModes.Unchanged);
        Assert.Equal(4, tile.Channels());
        return tile;
    }

    private static Scalar ToScalar(Vec3b pixel) => new(pixel.Item0, pixel.Item1, pixel.Item2);
}
