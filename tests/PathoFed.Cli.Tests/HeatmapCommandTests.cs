using PathoFed.Features.Storage;
using PathoFed.Heatmaps;
using PathoFed.Mil.Experiments;

namespace PathoFed.Cli.Tests;

public sealed class HeatmapCommandTests
{
    [Fact]
    public async Task Heatmap_ScoresOfARealSlide_WritesEveryExport()
    {
        using var temp = new TempFolder();
        await CliRunner.RunAsync("embed", TestSlides.SmallHE, "--out", temp.Path);
        FeatureRows rows = await FeatureRows.ReadAsync(Path.Combine(temp.Path, "small_HE", FeatureTable.FileName));
        float[] gradient = rows.Patches.Select(p => (float)p.Level0X).ToArray();
        string scores = temp.File("small_HE.parquet");
        await PatchScoreTable.WriteAsync(scores, new PatchScoreTable.Content("small_HE", "test-model", "attention", rows.Info.Geometry, rows.Patches, gradient));

        var (code, output, error) = await CliRunner.RunAsync("heatmap", "--slide", TestSlides.SmallHE, "--scores", scores, "--out", temp.File("heatmap"), "--cmap", "viridis", "--smooth");

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains($"{rows.Count} patches", output);
        foreach (string file in HeatmapExport.FileNames) Assert.True(File.Exists(Path.Combine(temp.File("heatmap"), file)), file);
    }

    [Fact]
    public async Task Heatmap_ScoresOfAnotherSlide_IsAUsageErrorNamingBoth()
    {
        using var temp = new TempFolder();
        await CliRunner.RunAsync("embed", TestSlides.SmallHE, "--out", temp.Path);
        FeatureRows rows = await FeatureRows.ReadAsync(Path.Combine(temp.Path, "small_HE", FeatureTable.FileName));
        string scores = temp.File("other.parquet");
        await PatchScoreTable.WriteAsync(scores, new PatchScoreTable.Content("other-slide", "m", "attention", rows.Info.Geometry, rows.Patches, new float[rows.Count]));

        var (code, _, error) = await CliRunner.RunAsync("heatmap", "--slide", TestSlides.SmallHE, "--scores", scores, "--out", temp.File("heatmap"));

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("other-slide", error);
        Assert.False(Directory.Exists(temp.File("heatmap")) && Directory.EnumerateFiles(temp.File("heatmap")).Any());
    }
}
