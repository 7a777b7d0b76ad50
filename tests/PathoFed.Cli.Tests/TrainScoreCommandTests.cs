using PathoFed.Mil.Data;
using PathoFed.Mil.Models;
using PathoFed.Mil.Tests;
using PathoFed.Mil.Tests.Experiments;

namespace PathoFed.Cli.Tests;

public sealed class TrainScoreCommandTests
{
    [Fact]
    public async Task TrainThenScore_PlantedCohort_WritesModelFolderScoresAndPatchScores()
    {
        using var temp = new TempFolder();
        var cohort = await PlantedCohort.WriteAsync(temp.Path, MilTestData.WitnessClassification(30, 8, 0.1, seed: 9), MilTask.Classify);
        string model = temp.File("model");

        var (code, output, error) = await CliRunner.RunAsync("train", "--features", cohort.FeaturesDir, "--labels", cohort.LabelsCsv,
            "--task", "classify", "--head", "abmil", "--folds", "3", "--epochs", "8", "--lr", "0.002", "--encoder-dim", "16", "--attention-dim", "8",
            "--out", model);
        var (scoreCode, scoreOutput, scoreError) = await CliRunner.RunAsync("score", "--model", model, "--features", cohort.FeaturesDir, "--out", temp.File("out/scores.csv"));

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("30 slides of 30 patients", output);
        Assert.Contains("fold 2/3 epoch 1/8", output);
        Assert.Contains("auc:", output);
        Assert.Contains("95% CI", output);
        Assert.True(File.Exists(Path.Combine(model, MilModelFolder.WeightsFileName)));
        Assert.True(scoreCode == ExitCodes.Ok, scoreError);
        Assert.Contains("30 slides scored, 0 skipped", scoreOutput);
        Assert.Equal(31, File.ReadAllLines(temp.File("out/scores.csv")).Length);
        Assert.Equal(30, Directory.GetFiles(temp.File("out/patch-scores"), "*.parquet").Length);
    }

    [Fact]
    public async Task Train_LabelsForTheWrongTask_IsAUsageErrorNamingTheFile()
    {
        using var temp = new TempFolder();
        var cohort = await PlantedCohort.WriteAsync(temp.Path, MilTestData.WitnessClassification(6, 4, 0.1, seed: 1), MilTask.Classify);

        var (code, _, error) = await CliRunner.RunAsync("train", "--features", cohort.FeaturesDir, "--labels", cohort.LabelsCsv, "--task", "survival", "--out", temp.File("m"));

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("labels.csv", error);
        Assert.False(Directory.Exists(temp.File("m")));
    }

    [Fact]
    public async Task Score_MissingModelFolder_IsAUsageError()
    {
        using var temp = new TempFolder();
        var (code, _, error) = await CliRunner.RunAsync("score", "--model", temp.File("none"), "--features", temp.Path, "--out", temp.File("s.csv"));

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("none", error);
    }
}
