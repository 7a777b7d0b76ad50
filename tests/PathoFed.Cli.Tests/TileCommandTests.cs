using PathoFed.Slides.Batches;
using PathoFed.Slides.Tiling;

namespace PathoFed.Cli.Tests;

public sealed class TileCommandTests
{
    [Fact]
    public async Task Tile_GoodAndBadSlides_ExitsOneListsFailuresAndKeepsTheGoodOutputs()
    {
        using var temp = new TempFolder();
        var (code, output, error) = await CliRunner.RunAsync("tile", TestSlides.SmallHE, TestSlides.Bad.UnopenableTiff, "--out", temp.Path, "--workers", "2");

        Assert.Equal(ExitCodes.SomeFailed, code);
        Assert.Contains("1 tiled, 0 already done, 1 failed", output);
        Assert.Contains("[2/2]", output);
        Assert.Contains("FAILED unopenable", error);
        Assert.Contains("unopenable.tiff", error);
        Assert.True(File.Exists(Path.Combine(temp.Path, "small_HE", PatchTable.FileName)));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(temp.Path, SlideBatch.ErrorsFileName)).Length);
    }

    [Fact]
    public async Task Tile_RunTwice_SecondRunSkipsAndExitsZero()
    {
        using var temp = new TempFolder();
        await CliRunner.RunAsync("tile", TestSlides.SmallHE, "--out", temp.Path);
        var (code, output, _) = await CliRunner.RunAsync("tile", TestSlides.SmallHE, "--out", temp.Path);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("0 tiled, 1 already done, 0 failed", output);
    }

    [Fact]
    public async Task Tile_SlideMppAndMagnification_TileASlideWithoutRecordedResolution()
    {
        using var temp = new TempFolder();
        var (code, output, error) = await CliRunner.RunAsync("tile", TestSlides.BoxesTiff, "--out", temp.Path,
            "--slide-mpp", "0.25", "--mag", "20", "--patch", "32", "--min-tissue", "0");

        Assert.True(code == ExitCodes.Ok, error);
        PatchTable table = await PatchTable.ReadAsync(Path.Combine(temp.Path, "boxes", PatchTable.FileName));
        Assert.Equal(64, table.Geometry.Level0PatchSize);     // 20x = 0.5 µm/px = 2 x 0.25
        Assert.Equal(1, table.Geometry.ReadLevel);
        Assert.Equal(4 * 3, table.Patches.Count);             // 300 x 250 in 64-px steps
        Assert.Contains("12 patches", output);
    }

    [Fact]
    public async Task Tile_SlideMpp_DoesNotOverrideARecordedResolution()
    {
        using var temp = new TempFolder();
        var (code, _, error) = await CliRunner.RunAsync("tile", TestSlides.SmallHE, "--out", temp.Path, "--slide-mpp", "0.25");
        Assert.True(code == ExitCodes.Ok, error);
        SlideRecord? record = SlideRecord.TryRead(Path.Combine(temp.Path, "small_HE", SlideRecord.FileName));
        Assert.Equal(0.499, record!.Slide.Mpp!.Value, 6);
        Assert.Equal(257, record.Geometry.Level0PatchSize);
    }

    [Fact]
    public async Task Tile_ManifestWithMppColumn_UsesIt()
    {
        using var temp = new TempFolder();
        string manifest = temp.File("cohort.csv");
        File.WriteAllText(manifest, $"slide_id,path,mpp\nboxes-a,{TestSlides.BoxesTiff},0.5\n");
        var (code, _, error) = await CliRunner.RunAsync("tile", manifest, "--out", temp.File("out"), "--patch", "16", "--min-tissue", "0");

        Assert.True(code == ExitCodes.Ok, error);
        SlideRecord? record = SlideRecord.TryRead(Path.Combine(temp.Path, "out", "boxes-a", SlideRecord.FileName));
        Assert.Equal(0.5, record!.Slide.Mpp);
        Assert.Equal(PathoFed.Slides.MppSource.User, record.Slide.MppSource);
    }

    [Theory]
    [InlineData("--overlap", "300", "overlap")]
    [InlineData("--min-tissue", "2", "tissue fraction")]
    [InlineData("--tissue-threshold", "high", "--tissue-threshold")]
    public async Task Tile_OutOfRangeOption_ExitsTwoNamingTheProblem(string option, string value, string expected)
    {
        using var temp = new TempFolder();
        var (code, _, error) = await CliRunner.RunAsync("tile", TestSlides.SmallHE, "--out", temp.Path, option, value);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(expected, error);
    }

    [Fact]
    public async Task Tile_BothMppAndMag_IsAUsageError()
    {
        using var temp = new TempFolder();
        var (code, _, error) = await CliRunner.RunAsync("tile", TestSlides.SmallHE, "--out", temp.Path, "--mpp", "0.5", "--mag", "20");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("not both", error);
    }

    [Fact]
    public async Task Tile_WithoutOut_IsAUsageError()
    {
        var (code, _, error) = await CliRunner.RunAsync("tile", TestSlides.SmallHE);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--out", error);
    }

    [Fact]
    public async Task Tile_EmptyFolder_SaysNoSlidesFound()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("empty"));
        var (code, _, error) = await CliRunner.RunAsync("tile", temp.File("empty"), "--out", temp.File("out"));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("no slides found", error);
    }
}
