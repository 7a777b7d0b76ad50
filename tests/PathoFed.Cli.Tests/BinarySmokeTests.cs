using System.Diagnostics;

namespace PathoFed.Cli.Tests;

/// <summary>Runs the built <c>pathofed</c> binary as a separate process, as a user would.</summary>
public sealed class BinarySmokeTests
{
    [Fact]
    public async Task Binary_TileRealSlide_ExitsZeroAndWritesOutputs()
    {
        using var temp = new TempFolder();
        string dll = Path.Combine(AppContext.BaseDirectory, "pathofed.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { dll, "tile", TestSlides.SmallHE, "--out", temp.Path }) start.ArgumentList.Add(arg);
        start.Environment["CI"] = "true";

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, await error);
        Assert.Contains("1 tiled", await output);
        Assert.True(File.Exists(Path.Combine(temp.Path, "small_HE", "slide.json")));
    }
}
