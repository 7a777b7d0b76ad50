using System.Text.Json;
using PathoFed.Mil.Data;
using PathoFed.Mil.Tests;
using PathoFed.Mil.Tests.Experiments;

namespace PathoFed.Cli.Tests;

public sealed class FedSimulateCommandTests
{
    [Fact]
    public async Task Simulate_PlantedCohortThreeSites_PrintsTheThreeArmsAndWritesResults()
    {
        using var temp = new TempFolder();
        var cohort = await PlantedCohort.WriteAsync(temp.Path, MilTestData.WitnessClassification(36, 8, 0.15, seed: 4), MilTask.Classify);

        var (code, output, error) = await CliRunner.RunAsync("fed", "simulate", "--features", cohort.FeaturesDir, "--labels", cohort.LabelsCsv,
            "--task", "classify", "--sites", "3", "--partition", "dirichlet", "--alpha", "1", "--rounds", "2", "--secure-aggregation",
            "--dp-noise", "0.1", "--dp-clip", "5", "--seed", "1", "--out", temp.File("sim"));

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("pooled", output);
        Assert.Contains("local-only", output);
        Assert.Contains("federated", output);
        Assert.Contains("auc", output);
        Assert.Contains("bytes per round per site", output);
        Assert.Contains("privacy spent", output);
        using var results = JsonDocument.Parse(File.ReadAllBytes(temp.File("sim/results.json")));
        Assert.Equal(2, results.RootElement.GetProperty("rounds").GetArrayLength());
        Assert.True(File.Exists(temp.File("sim/coordinator/final-model/weights.safetensors")));
    }

    [Fact]
    public async Task Simulate_UnknownStrategy_IsAUsageError()
    {
        using var temp = new TempFolder();

        var (code, _, error) = await CliRunner.RunAsync("fed", "simulate", "--features", temp.Path, "--labels", temp.File("labels.csv"),
            "--task", "classify", "--strategy", "fedmagic", "--out", temp.File("sim"));

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("fedmagic", error);
    }

    [Fact]
    public async Task Simulate_StrategyOptions_ReachTheStrategy_AndATypoIsAUsageError()
    {
        using var temp = new TempFolder();
        var cohort = await PlantedCohort.WriteAsync(temp.Path, MilTestData.WitnessClassification(36, 8, 0.15, seed: 4), MilTask.Classify);
        string[] common = ["fed", "simulate", "--features", cohort.FeaturesDir, "--labels", cohort.LabelsCsv, "--task", "classify", "--sites", "3",
            "--rounds", "1", "--strategy", "fedadam", "--seed", "1"];

        var (code, _, error) = await CliRunner.RunAsync([.. common, "--strategy-options", """{"server_learning_rate": 0.03}""", "--out", temp.File("ok")]);
        Assert.True(code == ExitCodes.Ok, error);
        using (var results = JsonDocument.Parse(File.ReadAllBytes(temp.File("ok/results.json"))))
        {
            Assert.Contains("0.03", results.RootElement.GetProperty("options").GetProperty("strategyOptionsJson").GetString());
        }

        var (typoCode, _, typoError) = await CliRunner.RunAsync([.. common, "--strategy-options", """{"server_lr": 0.03}""", "--out", temp.File("typo")]);
        Assert.Equal(ExitCodes.Usage, typoCode);
        Assert.Contains("server_lr", typoError);
        Assert.False(Directory.Exists(temp.File("typo/coordinator")));
    }
}
