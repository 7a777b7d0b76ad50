using PathoFed.Heatmaps.Tests.Batch;

namespace PathoFed.Cli.Tests;

/// <summary><c>pathofed run</c> from the command line: a folder with a bad slide, a SIGKILLed run resumed, and bad arguments.</summary>
public sealed class RunCommandTests
{
    [Fact]
    public async Task Run_FolderWithABadSlide_ScoresTheOthers_ExitsOne_AndSaysWhereEverythingIs()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("slides"));
        File.Copy(TestSlides.SmallHE, temp.File("slides/case-1.svs"));
        File.Copy(TestSlides.Bad.UnreadableSvs, temp.File("slides/case-2.svs"));
        UntrainedModels.WriteAbmil(temp.File("model"), seed: 3);

        File.WriteAllLines(temp.File("labels.csv"), ["slide_id,patient_id,label", "case-1,p1,tumour", "case-2,p2,normal"]);

        var (code, output, error) = await CliRunner.RunAsync("run", "--slides", temp.File("slides"), "--model", temp.File("model"), "--out", temp.File("out"),
            "--labels", temp.File("labels.csv"));

        Assert.True(code == ExitCodes.SomeFailed, output + error);
        Assert.Contains($"report:   {temp.File("out/report.html")}", output);
        string report = File.ReadAllText(temp.File("out/report.html"));
        Assert.Contains($"pathofed run --slides {temp.File("slides")}", report);
        Assert.Contains("Accuracy", report);
        Assert.Contains("1 scored, 0 already done, 1 failed", output);
        Assert.Matches(@"Stages \(running at once\): tiling [0-9.]+ s, embedding [0-9.]+ s, scoring [0-9.]+ s, heatmap [0-9.]+ s busy in [0-9.]+ s\.", output);
        Assert.Contains("FAILED case-2", error);
        Assert.Contains($"scores:   {temp.File("out/scores.csv")}", output);
        Assert.Contains($"pathofed view --slides {temp.File("slides")} --results {temp.File("out")}", output);
        Assert.Contains("case-2.svs", File.ReadAllText(temp.File("out/errors.csv")));
        Assert.True(File.Exists(temp.File("out/heatmaps/case-1/overlay.png")));
    }

    [Fact]
    public async Task Run_KilledWithSigkill_ResumesToTheSameTablesWithNoHalfWrittenFile()
    {
        using var temp = new TempFolder();
        UntrainedModels.WriteAbmil(temp.File("model"), seed: 3);
        string[] ids = ["a", "b", "c", "d"];
        File.WriteAllLines(temp.File("manifest.csv"), ["slide_id,path", .. ids.Select(id => $"{id},{TestSlides.SmallHE}")]);
        string[] run = ["run", "--slides", temp.File("manifest.csv"), "--model", temp.File("model"), "--out", temp.File("out")];

        using (PathofedProcess killed = PathofedProcess.Start(run))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!File.Exists(temp.File("out/state/a.json")))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), killed.Output + killed.Error);
                await Task.Delay(5);
            }
        } // SIGKILL while later slides are being tiled, embedded and drawn

        var (code, output, error) = await CliRunner.RunAsync(run);

        Assert.True(code == ExitCodes.Ok, output + error);
        Assert.Contains("already done", output);
        List<string[]> scores = Csv.Parse(File.ReadAllText(temp.File("out/scores.csv")));
        Assert.Equal(ids, scores.Skip(1).Select(row => row[0]));
        Assert.All(scores.Skip(1), row => Assert.Equal("ok", row[3]));
        Assert.Single(scores.Skip(1).Select(row => row[5]).Distinct()); // one slide under four ids: one probability
        Assert.Empty(Directory.EnumerateFiles(temp.File("out"), ".tmp-*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("--shard", "2/2", "0 <= i < n")]
    [InlineData("--extractor", "no-such-extractor", "no-such-extractor")]
    public async Task Run_BadArguments_ExitTwoBeforeAnySlide(string option, string value, string expected)
    {
        using var temp = new TempFolder();
        UntrainedModels.WriteAbmil(temp.File("model"), seed: 3);

        var (code, _, error) = await CliRunner.RunAsync("run", "--slides", TestSlides.SmallHE, "--model", temp.File("model"), "--out", temp.File("out"), option, value);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(expected, error);
        Assert.False(Directory.Exists(temp.File("out")));
    }

    [Fact]
    public async Task Run_MissingModel_ExitsTwoNamingIt()
    {
        using var temp = new TempFolder();

        var (code, _, error) = await CliRunner.RunAsync("run", "--slides", TestSlides.SmallHE, "--model", temp.File("no-model"), "--out", temp.File("out"));

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("no-model", error);
    }
}
