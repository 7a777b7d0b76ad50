namespace PathoFed.Cli.Tests;

/// <summary>Runs the built <c>pathofed</c> binary as separate processes, as a user would.</summary>
public sealed class BinarySmokeTests
{
    [Fact]
    public async Task Binary_TileThenEmbedInAnotherProcess_ExitZeroAndWriteOutputs()
    {
        using var temp = new TempFolder();
        var (tileCode, tileOutput, tileError) = await PathofedProcess.RunAsync("tile", TestSlides.SmallHE, "--out", temp.Path, "--patch", "224");
        // A fresh process reads the patch table it did not write (Parquet schema state is per process).
        var (embedCode, embedOutput, embedError) = await PathofedProcess.RunAsync("embed", TestSlides.SmallHE, "--out", temp.Path);

        Assert.True(tileCode == 0, tileError);
        Assert.Contains("1 tiled", tileOutput);
        Assert.True(File.Exists(Path.Combine(temp.Path, "small_HE", "slide.json")));
        Assert.True(embedCode == 0, embedError);
        Assert.Contains("1 embedded", embedOutput);
        Assert.True(File.Exists(Path.Combine(temp.Path, "small_HE", "features.parquet")));
    }
}
