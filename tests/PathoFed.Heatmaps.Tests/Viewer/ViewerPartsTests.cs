using OpenCvSharp;
using PathoFed.Heatmaps.Viewer;
using PathoFed.Slides;

namespace PathoFed.Heatmaps.Tests.Viewer;

/// <summary>The viewer's pieces without HTTP: Deep Zoom geometry, the slide cache's eviction, the request guard, scores.csv.</summary>
public sealed class ViewerPartsTests
{
    [Fact]
    public void DeepZoomLayout_300x250_HasLevels0To9AndOverlappingTilesClippedToTheImage()
    {
        var layout = new DeepZoomLayout(300, 250);
        Assert.Equal(9, layout.MaxLevel);
        Assert.Equal((300L, 250L), layout.LevelSize(9));
        Assert.Equal((150L, 125L), layout.LevelSize(8));
        Assert.Equal((1L, 1L), layout.LevelSize(0));
        Assert.Equal(new DeepZoomTile(0, 0, 255, 250, 1), layout.Tile(9, 0, 0));
        Assert.Equal(new DeepZoomTile(253, 0, 47, 250, 1), layout.Tile(9, 1, 0));
        Assert.Equal(new DeepZoomTile(0, 0, 150, 125, 2), layout.Tile(8, 0, 0));
        Assert.Null(layout.Tile(9, 2, 0));
        Assert.Null(layout.Tile(10, 0, 0));
        Assert.Null(layout.Tile(9, -1, 0));
    }

    [Fact]
    public void SlideHandleCache_EvictedWhileLeased_StaysOpenUntilTheLeaseEnds()
    {
        var opened = new List<CountingSlide>();
        using var cache = new SlideHandleCache(capacity: 1, path => { var slide = new CountingSlide(path); opened.Add(slide); return slide; });

        SlideHandleCache.Lease first = cache.Acquire("a");
        using (SlideHandleCache.Lease again = cache.Acquire("a")) Assert.Same(first.Slide, again.Slide);
        using (cache.Acquire("b"))
        {
            Assert.Equal(1, cache.OpenCount);
            Assert.False(opened[0].Disposed); // evicted, but a request still reads it
            first.Dispose();
            Assert.True(opened[0].Disposed);
        }
        Assert.Equal(2, opened.Count);
        Assert.False(opened[1].Disposed); // still cached
        cache.Dispose();
        Assert.True(opened[1].Disposed);
    }

    [Theory]
    [InlineData("/dzi/small_HE.dzi", false)]
    [InlineData("/dzi/small_HE_files/12/0_0.jpeg?cmap=jet", false)]
    [InlineData("/api/patches/a..b?x=1&y=2", false)] // dots inside a name are not a segment
    [InlineData("/api/patches/x?next=../..", false)] // the query is not a path
    [InlineData("/dzi/../x.dzi", true)]
    [InlineData("/dzi/%2e%2e/x.dzi", true)]
    [InlineData("/dzi/%2E./x.dzi", true)]
    [InlineData("/dzi/a%2fb.dzi", true)]
    [InlineData("/dzi/a%5Cb.dzi", true)]
    [InlineData("/dzi/a\\b.dzi", true)]
    [InlineData("/dzi//etc/passwd", true)]
    [InlineData("/dzi/a%00.dzi", true)]
    public void RequestGuard_FlagsTraversalShapesOnly(string target, bool suspicious) =>
        Assert.Equal(suspicious, RequestGuard.IsSuspicious(target));

    [Fact]
    public void SlideScores_SurvivalTable_RanksByRisk_SkippedSlidesHaveNoRank()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("scores.csv"),
            "slide_id,model,status,prediction,risk,reason\n" +
            "a,cox,ok,1.5,1.5,\n" +
            "b,cox,skipped,,,\"no patches, empty slide\"\n");
        SlideScores scores = SlideScores.Read(folder.Path);
        Assert.Equal("risk", scores.RankColumn);
        Assert.Equal(1.5, scores.For("a")!.RankValue);
        Assert.Null(scores.For("b")!.RankValue);
        Assert.Equal("no patches, empty slide", scores.For("b")!.Reason);
        Assert.Null(scores.For("c"));
    }

    [Fact]
    public void SlideScores_WithoutSlideIdColumn_FailsNamingTheFile()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("scores.csv"), "id,p_x\na,0.5\n");
        var error = Assert.Throws<HeatmapException>(() => SlideScores.Read(folder.Path));
        Assert.Contains("scores.csv", error.Message);
        Assert.Contains("slide_id", error.Message);
    }

    [Fact]
    public async Task StartAsync_MissingSlidesFolder_FailsNamingIt()
    {
        using var folder = new TempFolder();
        var error = await Assert.ThrowsAsync<HeatmapException>(() => SlideViewerHost.StartAsync(new ViewerOptions(folder.File("nope"), folder.Path, Port: 0)));
        Assert.Contains("nope", error.Message);
    }

    /// <summary>A slide that only records whether it was closed.</summary>
    private sealed class CountingSlide(string path) : ISlide
    {
        public bool Disposed { get; private set; }

        public string Path { get; } = path;

        public SlideMetadata Metadata { get; } = new("test", [new SlideLevel(1, 1, 1)], null, null, null,
            new Dictionary<string, string>(), [], MppSource.Unknown);

        public void ReadRegion(long level0X, long level0Y, int level, int widthPx, int heightPx, Mat destination) => throw new NotSupportedException();

        public Mat ReadAssociatedImage(string name) => throw new NotSupportedException();

        public void Dispose() => Disposed = true;
    }
}
