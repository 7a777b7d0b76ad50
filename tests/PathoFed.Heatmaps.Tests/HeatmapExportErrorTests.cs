namespace PathoFed.Heatmaps.Tests;

/// <summary>Bad inputs fail before anything is written, with a message naming the files and the cause.</summary>
public sealed class HeatmapExportErrorTests
{
    private const int Px = 128;

    private static async Task<(HeatmapException Error, HeatmapOptions Options)> FailAsync(TempFolder folder, string slideId, List<(long, long, float)> patches)
    {
        string scores = await HeatmapTestData.WriteScoresAsync(folder, slideId, HeatmapTestData.Level0Grid(Px), patches);
        HeatmapOptions options = HeatmapTestData.Options(TestSlides.SmallHE, scores, folder);
        var error = await Assert.ThrowsAsync<HeatmapException>(() => HeatmapExport.RunAsync(options));
        Assert.False(Directory.Exists(options.OutputFolder), "outputs were started before the inputs were checked");
        return (error, options);
    }

    [Fact]
    public async Task Run_ScoresOfAnotherSlide_ThrowsNamingBothIdsAndFiles()
    {
        using var folder = new TempFolder();
        var (error, options) = await FailAsync(folder, "other_slide", [(0, 0, 1f)]);

        Assert.Contains("for slide 'other_slide', not 'small_HE'", error.Message);
        Assert.Contains(options.ScoresPath, error.Message);
        Assert.Contains(options.SlidePath, error.Message);
    }

    [Fact]
    public async Task Run_PatchOutsideTheSlide_ThrowsNamingThePatchAndTheSlideSize()
    {
        using var folder = new TempFolder();
        var (error, options) = await FailAsync(folder, "small_HE", [(0, 0, 1f), (2200, 0, 0.5f)]);

        Assert.Contains("Patch 1 at (2200, 0), 128 px square, lies outside the 2220 x 2967 px slide", error.Message);
        Assert.Contains(options.ScoresPath, error.Message);
    }

    [Fact]
    public async Task Run_EmptyScoreTable_ThrowsNothingToDraw()
    {
        using var folder = new TempFolder();
        var (error, options) = await FailAsync(folder, "small_HE", []);

        Assert.Contains("has no patches: nothing to draw", error.Message);
        Assert.Contains(options.ScoresPath, error.Message);
    }

    [Fact]
    public async Task Run_NonFiniteScore_ThrowsNamingThePatch()
    {
        using var folder = new TempFolder();
        var (error, _) = await FailAsync(folder, "small_HE", [(0, 0, 1f), (128, 0, float.NaN)]);

        Assert.Contains("Patch 1 at (128, 0) has score NaN", error.Message);
    }

    [Fact]
    public async Task Run_CorruptScoreFile_ThrowsNamingTheFile()
    {
        using var folder = new TempFolder();
        string scores = folder.File("corrupt.parquet");
        await File.WriteAllTextAsync(scores, "not a parquet file");

        var error = await Assert.ThrowsAsync<HeatmapException>(() => HeatmapExport.RunAsync(HeatmapTestData.Options(TestSlides.SmallHE, scores, folder)));

        Assert.Contains($"Patch-score table '{scores}' cannot be read", error.Message);
    }

    [Fact]
    public async Task Run_MissingScoreFile_ThrowsNamingTheFileAndHowToWriteIt()
    {
        using var folder = new TempFolder();
        string scores = folder.File("missing.parquet");

        var error = await Assert.ThrowsAsync<HeatmapException>(() => HeatmapExport.RunAsync(HeatmapTestData.Options(TestSlides.SmallHE, scores, folder)));

        Assert.Contains($"'{scores}' does not exist", error.Message);
        Assert.Contains("pathofed score --patch-scores", error.Message);
    }
}

public sealed class HeatmapOptionsTests
{
    [Theory]
    [InlineData(nameof(HeatmapOptions.Alpha))]
    [InlineData(nameof(HeatmapOptions.GalleryCount))]
    [InlineData(nameof(HeatmapOptions.TiffTileSizePx))]
    public void Validate_OutOfRange_ThrowsNamingTheOption(string name)
    {
        var options = new HeatmapOptions { SlidePath = "s.svs", ScoresPath = "s.parquet", OutputFolder = "out" };
        options = name switch
        {
            nameof(HeatmapOptions.Alpha) => options with { Alpha = 1.5 },
            nameof(HeatmapOptions.GalleryCount) => options with { GalleryCount = 0 },
            _ => options with { TiffTileSizePx = 100 },
        };

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => options.Validate());

        Assert.Equal(name, e.ParamName);
    }
}
