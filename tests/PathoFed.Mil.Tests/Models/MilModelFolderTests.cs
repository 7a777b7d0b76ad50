using System.Text.Json;
using System.Text.Json.Nodes;
using PathoFed.Mil.Data;
using PathoFed.Mil.Evaluation;
using PathoFed.Mil.Models;

namespace PathoFed.Mil.Tests.Models;

public sealed class MilModelFolderTests
{
    private static readonly FeatureOrigin Origin = new("pathofed-he-texture-v1", "1b9c3e6f", 64);

    private static MilModel ClassifierModel()
    {
        var config = new MilModelConfig("abmil", Json("""{"hidden":128,"dropout":0.25,"gated":true}"""), MilTask.Classify,
            ["MSI", "MSS"], Origin, Json("""{"epochs":20,"learning_rate":0.0002,"folds":5}"""));
        NamedTensor[] weights = [new("attention.w", [2, 3], [1, 2, 3, 4, 5, 6]), new("classifier.b", [2], [0.5f, -0.5f])];
        var folds = new[]
        {
            new FoldSummary(0, 80, 20, 25, 14, new Dictionary<string, double> { ["auc"] = 0.8, ["f1"] = 0.7 }),
            new FoldSummary(1, 80, 20, 25, 19, new Dictionary<string, double> { ["auc"] = 0.9, ["f1"] = double.NaN }),
        };
        var summary = MilTrainingSummary.FromFolds(folds,
            new Dictionary<string, ConfidenceInterval> { ["auc"] = new(0.85, 0.78, 0.91, 0.95, 1000) }, finalEpochs: 17,
            [new SkippedSlide("s9", "empty bag: the features table has 0 patches")]);
        return new MilModel(config, weights, summary);
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Fact]
    public void WriteThenRead_RoundTripsConfigWeightsAndSummary()
    {
        using var temp = new TempFolder();
        MilModel model = ClassifierModel();

        MilModelFolder.Write(temp.Path, model);
        MilModel read = MilModelFolder.Read(temp.Path);

        Assert.Equal(["config.json", "summary.json", "weights.safetensors"], Directory.GetFiles(temp.Path).Select(Path.GetFileName).Order());
        Assert.Equal("abmil", read.Config.HeadKind);
        Assert.Equal(128, read.Config.HeadConfig.GetProperty("hidden").GetInt32());
        Assert.Equal(20, read.Config.Training.GetProperty("epochs").GetInt32());
        Assert.Equal(MilTask.Classify, read.Config.Task);
        Assert.Equal(["MSI", "MSS"], read.Config.ClassNames);
        Assert.Equal(Origin, read.Config.Features);
        Assert.Equal(model.Weights.Select(w => (w.Name, w.Shape, w.Values)), read.Weights.Select(w => (w.Name, w.Shape, w.Values)));

        MilTrainingSummary summary = read.Summary!;
        Assert.Equal(17, summary.FinalEpochs);
        Assert.Equal([14, 19], summary.Folds.Select(f => f.Epochs));
        Assert.True(double.IsNaN(summary.Folds[1].Metrics["f1"]));
        Assert.Equal(0.85, summary.AcrossFolds["auc"].Mean, 12);
        Assert.Equal(Math.Sqrt(0.005), summary.AcrossFolds["auc"].Sd, 12);
        Assert.Equal(new MeanSd(0.7, 0, 1), summary.AcrossFolds["f1"]);
        Assert.Equal(new ConfidenceInterval(0.85, 0.78, 0.91, 0.95, 1000), summary.ConfidenceIntervals["auc"]);
        Assert.Equal([new SkippedSlide("s9", "empty bag: the features table has 0 patches")], summary.Skipped);
    }

    [Fact]
    public void Read_Fingerprint_IsSha256OfConfigThenWeights_AndChangesWithEitherFile()
    {
        using var temp = new TempFolder();
        MilModelFolder.Write(temp.Path, ClassifierModel());
        byte[] files = [.. File.ReadAllBytes(temp.File("config.json")), .. File.ReadAllBytes(temp.File("weights.safetensors"))];

        MilModelFolder.Read(temp.Path, out string fingerprint);

        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(files)), fingerprint);
        MilModel other = ClassifierModel() with { Weights = [new("attention.w", [2, 3], [1, 2, 3, 4, 5, 7]), new("classifier.b", [2], [0.5f, -0.5f])] };
        MilModelFolder.Write(temp.Path, other);
        MilModelFolder.Read(temp.Path, out string changed);
        Assert.NotEqual(fingerprint, changed);
    }

    [Fact]
    public void Write_ConfigJson_IsReadableAndRecordsWeightsHash()
    {
        using var temp = new TempFolder();
        MilModelFolder.Write(temp.Path, ClassifierModel());

        JsonNode config = JsonNode.Parse(File.ReadAllText(Path.Combine(temp.Path, MilModelFolder.ConfigFileName)))!;

        Assert.Equal("pathofed-mil-model", (string?)config["format"]);
        Assert.Equal(1, (int?)config["format_version"]);
        Assert.Equal("abmil", (string?)config["head"]!["kind"]);
        Assert.Equal(0.25, (double?)config["head"]!["config"]!["dropout"]);
        Assert.Equal("classify", (string?)config["task"]);
        Assert.Equal("pathofed-he-texture-v1", (string?)config["features"]!["extractor_id"]);
        Assert.Equal(64, (int?)config["features"]!["embedding_dim"]);
        Assert.Equal(64, ((string?)config["weights"]!["sha256"])!.Length);
    }

    [Fact]
    public void Write_SurvivalWithoutSummary_RemovesStaleSummaryAndDefaultsTraining()
    {
        using var temp = new TempFolder();
        MilModelFolder.Write(temp.Path, ClassifierModel());
        var survival = new MilModel(new MilModelConfig("mean-pool", Json("{}"), MilTask.Survival, [], Origin), [new NamedTensor("w", [1], [1])]);

        MilModelFolder.Write(temp.Path, survival);
        MilModel read = MilModelFolder.Read(temp.Path);

        Assert.Null(read.Summary);
        Assert.False(File.Exists(Path.Combine(temp.Path, MilModelFolder.SummaryFileName)));
        Assert.Equal(JsonValueKind.Object, read.Config.Training.ValueKind);
        Assert.Equal(MilTask.Survival, read.Config.Task);
    }

    [Fact]
    public void Read_MissingFolder_NamesIt()
    {
        using var temp = new TempFolder();
        string folder = temp.File("model");
        var error = Assert.Throws<MilException>(() => MilModelFolder.Read(folder));
        Assert.Contains($"Model folder '{folder}' does not exist", error.Message);
    }

    [Fact]
    public void Read_WeightsWithoutConfig_SaysIncomplete()
    {
        using var temp = new TempFolder();
        MilModelFolder.Write(temp.Path, ClassifierModel());
        File.Delete(Path.Combine(temp.Path, MilModelFolder.ConfigFileName));

        var error = Assert.Throws<MilException>(() => MilModelFolder.Read(temp.Path));
        Assert.Contains($"Model folder '{temp.Path}' has no config.json: it is incomplete", error.Message);
    }

    [Fact]
    public void Read_EmptyFolder_IsNotAModelFolder()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<MilException>(() => MilModelFolder.Read(temp.Path));
        Assert.Contains($"'{temp.Path}' is not a model folder: it has no config.json", error.Message);
    }

    [Fact]
    public void Read_MissingWeights_NamesFile()
    {
        using var temp = new TempFolder();
        MilModelFolder.Write(temp.Path, ClassifierModel());
        File.Delete(Path.Combine(temp.Path, MilModelFolder.WeightsFileName));

        var error = Assert.Throws<MilException>(() => MilModelFolder.Read(temp.Path));
        Assert.Contains("has no weights.safetensors", error.Message);
    }

    [Theory]
    [InlineData(2, "has format version 2, this PathoFed reads version 1: written by a newer PathoFed")]
    [InlineData(0, "has format version 0, this PathoFed reads version 1: written by an older PathoFed")]
    public void Read_OtherFormatVersion_Refused(int version, string expected)
    {
        using var temp = new TempFolder();
        MilModelFolder.Write(temp.Path, ClassifierModel());
        EditConfig(temp.Path, config => config["format_version"] = version);

        var error = Assert.Throws<MilException>(() => MilModelFolder.Read(temp.Path));
        Assert.Contains("config.json' " + expected, error.Message);
    }

    [Theory]
    [InlineData("format_version", "has no format_version: not a PathoFed model config")]
    [InlineData("task", "config.json' is malformed")]
    [InlineData("features", "config.json' is malformed")]
    public void Read_ConfigMissingField_Refused(string field, string expected)
    {
        using var temp = new TempFolder();
        MilModelFolder.Write(temp.Path, ClassifierModel());
        EditConfig(temp.Path, config => config.AsObject().Remove(field));

        var error = Assert.Throws<MilException>(() => MilModelFolder.Read(temp.Path));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Read_ConfigNotJson_Refused()
    {
        using var temp = new TempFolder();
        MilModelFolder.Write(temp.Path, ClassifierModel());
        File.WriteAllText(Path.Combine(temp.Path, MilModelFolder.ConfigFileName), "{ truncated");

        var error = Assert.Throws<MilException>(() => MilModelFolder.Read(temp.Path));
        Assert.Contains("config.json' is not valid JSON", error.Message);
    }

    [Fact]
    public void Read_ConfigInconsistentWithTask_Refused()
    {
        using var temp = new TempFolder();
        MilModelFolder.Write(temp.Path, ClassifierModel());
        EditConfig(temp.Path, config => config["class_names"] = new JsonArray("only"));

        var error = Assert.Throws<MilException>(() => MilModelFolder.Read(temp.Path));
        Assert.Contains("config.json' is inconsistent: Classification needs at least 2 class names, got 1", error.Message);
    }

    [Fact]
    public void Read_WeightsReplacedAfterConfig_DetectedByHash()
    {
        using var temp = new TempFolder();
        MilModelFolder.Write(temp.Path, ClassifierModel());
        string weights = Path.Combine(temp.Path, MilModelFolder.WeightsFileName);
        byte[] bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0x40;
        File.WriteAllBytes(weights, bytes);

        var error = Assert.Throws<MilException>(() => MilModelFolder.Read(temp.Path));
        Assert.Contains($"Weights file '{weights}'", error.Message);
        Assert.Contains("is not the one", error.Message);
        Assert.Contains("partly overwritten", error.Message);
    }

    [Fact]
    public void Read_CorruptWeightsWithMatchingHash_NamesFile()
    {
        using var temp = new TempFolder();
        MilModelFolder.Write(temp.Path, ClassifierModel());
        string weights = Path.Combine(temp.Path, MilModelFolder.WeightsFileName);
        byte[] truncated = File.ReadAllBytes(weights)[..^4];
        File.WriteAllBytes(weights, truncated);
        EditConfig(temp.Path, config => config["weights"]!["sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(truncated)));

        var error = Assert.Throws<MilException>(() => MilModelFolder.Read(temp.Path));
        Assert.Contains($"Weights file '{weights}' is corrupt", error.Message);
    }

    [Fact]
    public void Read_SummaryMalformed_NamesFile()
    {
        using var temp = new TempFolder();
        MilModelFolder.Write(temp.Path, ClassifierModel());
        File.WriteAllText(Path.Combine(temp.Path, MilModelFolder.SummaryFileName), """{"folds": 3}""");

        var error = Assert.Throws<MilException>(() => MilModelFolder.Read(temp.Path));
        Assert.Contains("summary.json' is malformed", error.Message);
    }

    [Fact]
    public void Write_HeadConfigNotAnObject_Refused()
    {
        using var temp = new TempFolder();
        var model = new MilModel(new MilModelConfig("abmil", Json("[1]"), MilTask.Survival, [], Origin), []);
        var error = Assert.Throws<ArgumentException>(() => MilModelFolder.Write(temp.Path, model));
        Assert.Contains("Head config must be a JSON object, not Array", error.Message);
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void EnsureCompatible_SameFeatures_Passes()
    {
        ClassifierModel().Config.EnsureCompatible(Origin.ExtractorId, Origin.ExtractorSha256, Origin.EmbeddingDim);
    }

    [Theory]
    [InlineData("uni-v2", "1b9c3e6f", 64, "expects features from extractor pathofed-he-texture-v1 (sha256 1b9c3e6f) but these come from uni-v2 (sha256 1b9c3e6f)")]
    [InlineData("pathofed-he-texture-v1", "ffff", 64, "but these come from pathofed-he-texture-v1 (sha256 ffff)")]
    [InlineData("pathofed-he-texture-v1", "1b9c3e6f", 32, "expects 64-d embeddings from pathofed-he-texture-v1 but these are 32-d")]
    public void EnsureCompatible_OtherFeatures_NamesBothExtractors(string extractorId, string sha256, int dim, string expected)
    {
        var error = Assert.Throws<MilException>(() => ClassifierModel().Config.EnsureCompatible(extractorId, sha256, dim));
        Assert.Contains(expected, error.Message);
    }

    private static void EditConfig(string folder, Action<JsonNode> edit)
    {
        string path = Path.Combine(folder, MilModelFolder.ConfigFileName);
        JsonNode config = JsonNode.Parse(File.ReadAllText(path))!;
        edit(config);
        File.WriteAllText(path, config.ToJsonString());
    }
}
