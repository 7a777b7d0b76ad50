using PathoFed.Mil.Data;
using PathoFed.Mil.Experiments;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Models;
using PathoFed.Mil.Tests.Data;
using PathoFed.Mil.Training;

namespace PathoFed.Mil.Tests.Experiments;

public sealed class MilExperimentTests
{
    private static MilExperimentOptions Options(MilTask task, int folds, int epochs = 25) => new()
    {
        Training = new MilTrainingOptions
        {
            Head = new MilHeadConfig { Kind = MilHeadKind.Abmil, Task = task, InputDim = 1, EncoderDim = 32, AttentionDim = 16, Dropout = 0.1f },
            Epochs = epochs,
            LearningRate = 2e-3f,
            BatchSize = 8,
            Patience = 8,
            Seed = 3,
        },
        Folds = folds,
        BootstrapResamples = 200,
    };

    [Fact]
    public async Task Run_PlantedWitnessCohort_CrossValidatesEverySlideOnceWithHighAuc()
    {
        using var temp = new TempFolder();
        var cohort = await PlantedCohort.WriteAsync(temp.Path, MilTestData.WitnessClassification(60, 16, 0.1, seed: 11), MilTask.Classify);
        MilDataset dataset = await MilDatasetLoader.LoadAsync(cohort.FeaturesDir, cohort.LabelsCsv, MilTask.Classify);

        MilExperimentResult result = MilCrossValidation.Run(dataset, Options(MilTask.Classify, folds: 3));

        Assert.Equal(dataset.Examples.Select(e => e.SlideId).Order(), result.OutOfFold.Select(p => p.Example.SlideId).Order());
        MilTrainingSummary summary = result.Model.Summary!;
        Assert.Equal(3, summary.Folds.Count);
        Assert.True(summary.AcrossFolds[MilMetrics.Auc].Mean >= 0.9, $"mean AUC {summary.AcrossFolds[MilMetrics.Auc]}");
        ConfidenceIntervalCheck(summary.ConfidenceIntervals[MilMetrics.Auc]);
        Assert.Equal(["MSI", "MSS"], result.Model.Config.ClassNames);
        Assert.InRange(summary.FinalEpochs, 1, 25);
    }

    [Fact]
    public async Task Run_PlantedSurvivalCohort_ReportsAConcordantCIndex()
    {
        using var temp = new TempFolder();
        var cohort = await PlantedCohort.WriteAsync(temp.Path, MilTestData.WitnessSurvival(60, 16, seed: 5), MilTask.Survival);
        MilDataset dataset = await MilDatasetLoader.LoadAsync(cohort.FeaturesDir, cohort.LabelsCsv, MilTask.Survival);

        MilExperimentResult result = MilCrossValidation.Run(dataset, Options(MilTask.Survival, folds: 3));

        Assert.True(result.Model.Summary!.AcrossFolds[MilMetrics.ConcordanceIndex].Mean >= 0.65, $"C-index {result.Model.Summary.AcrossFolds[MilMetrics.ConcordanceIndex]}");
        Assert.Empty(result.Model.Config.ClassNames);
    }

    [Fact]
    public async Task Run_SameSeedTwice_SameModelAndMetrics()
    {
        using var temp = new TempFolder();
        var cohort = await PlantedCohort.WriteAsync(temp.Path, MilTestData.WitnessClassification(30, 8, 0.1, seed: 2), MilTask.Classify);
        MilDataset dataset = await MilDatasetLoader.LoadAsync(cohort.FeaturesDir, cohort.LabelsCsv, MilTask.Classify);

        MilExperimentResult first = MilCrossValidation.Run(dataset, Options(MilTask.Classify, folds: 2, epochs: 5));
        MilExperimentResult second = MilCrossValidation.Run(dataset, Options(MilTask.Classify, folds: 2, epochs: 5));

        Assert.Equal(first.Model.Summary!.Folds.Select(f => f.Metrics[MilMetrics.Auc]), second.Model.Summary!.Folds.Select(f => f.Metrics[MilMetrics.Auc]));
        Assert.Equal(first.Model.Weights.SelectMany(w => w.Values), second.Model.Weights.SelectMany(w => w.Values));
    }

    [Fact]
    public async Task Score_TrainedModelFolder_WritesScoresAndPatchAttentionAndListsSkippedSlides()
    {
        using var temp = new TempFolder();
        var cohort = await PlantedCohort.WriteAsync(temp.Path, MilTestData.WitnessClassification(24, 8, 0.1, seed: 4), MilTask.Classify);
        MilDataset dataset = await MilDatasetLoader.LoadAsync(cohort.FeaturesDir, cohort.LabelsCsv, MilTask.Classify);
        MilModelFolder.Write(temp.File("model"), MilCrossValidation.Run(dataset, Options(MilTask.Classify, folds: 1, epochs: 10)).Model);
        await FeatureFolders.WriteAsync(cohort.FeaturesDir, "slide-nan", 3, dim: 8, value: i => i == 5 ? float.NaN : 1f);

        TrainedHead model = TrainedHead.Load(temp.File("model"));
        ScoringResult result = await MilScoring.ScoreAsync(model, cohort.FeaturesDir, temp.File("out/scores.csv"), temp.File("out/patches"));

        Assert.Equal(24, result.Scored);
        Assert.Equal("slide-nan", Assert.Single(result.Slides, s => s.Prediction is null).SlideId);
        List<string[]> rows = Csv.Parse(File.ReadAllText(temp.File("out/scores.csv")));
        Assert.Equal(["slide_id", "model", "model_sha256", "status", "prediction", "p_MSI", "p_MSS", "reason"], rows[0]);
        Assert.Equal(26, rows.Count);
        byte[] modelBytes = [.. File.ReadAllBytes(temp.File("model/config.json")), .. File.ReadAllBytes(temp.File("model/weights.safetensors"))];
        Assert.All(rows.Skip(1), row => Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(modelBytes)), row[2]));
        string[] skipped = rows.Single(r => r[0] == "slide-nan");
        Assert.Equal("skipped", skipped[3]);
        Assert.Contains("non-finite", skipped[7]);
        foreach (string[] row in rows.Skip(1).Where(r => r[3] == "ok"))
        {
            Assert.Equal(1.0, double.Parse(row[5], System.Globalization.CultureInfo.InvariantCulture) + double.Parse(row[6], System.Globalization.CultureInfo.InvariantCulture), 4);
            Assert.Contains(row[4], new[] { "MSI", "MSS" });
        }
        MilExample first = dataset.Examples[0];
        PatchScoreTable.Content patches = await PatchScoreTable.ReadAsync(temp.File($"out/patches/{first.SlideId}.parquet"));
        Assert.Equal(first.Bag.InstanceCount, patches.Scores.Length);
        Assert.Equal("attention", patches.ScoreKind);
        Assert.Equal("model", patches.Model);
        Assert.Equal(1.0, patches.Scores.Sum(), 3);
    }

    [Fact]
    public async Task Score_FeaturesFromAnotherExtractor_RefusedNamingBoth()
    {
        using var temp = new TempFolder();
        var cohort = await PlantedCohort.WriteAsync(temp.Path, MilTestData.WitnessClassification(12, 8, 0.1, seed: 4), MilTask.Classify);
        MilDataset dataset = await MilDatasetLoader.LoadAsync(cohort.FeaturesDir, cohort.LabelsCsv, MilTask.Classify);
        MilModelFolder.Write(temp.File("model"), MilCrossValidation.Run(dataset, Options(MilTask.Classify, folds: 1, epochs: 2)).Model);
        string otherFeatures = temp.File("uni-features");
        await FeatureFolders.WriteAsync(otherFeatures, "slide-x", 4, dim: 8, extractorId: "uni", sha256: "ab12");

        var e = await Assert.ThrowsAsync<MilException>(() => MilScoring.ScoreAsync(TrainedHead.Load(temp.File("model")), otherFeatures, temp.File("s.csv"), null));
        Assert.Contains("uni", e.Message);
        Assert.Contains(FeatureFolders.ExtractorId, e.Message);
        Assert.False(File.Exists(temp.File("s.csv")));
    }

    private static void ConfidenceIntervalCheck(PathoFed.Mil.Evaluation.ConfidenceInterval interval)
    {
        Assert.InRange(interval.Lower, 0, interval.Estimate + 1e-9);
        Assert.InRange(interval.Upper, interval.Estimate - 1e-9, 1);
    }
}
