using PathoFed.Features.Extractors;
using PathoFed.Mil.Data;
using PathoFed.Mil.Experiments;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Models;
using PathoFed.Mil.Training;

namespace PathoFed.Heatmaps.Tests.Batch;

/// <summary>Model folders for tests of the batch pipeline, where the pipeline and not the model is under test.</summary>
internal static class UntrainedModels
{
    public static readonly string[] Classes = ["normal", "tumour"];

    /// <summary>A seeded, untrained ABMIL head on the default extractor's features (or on the features <paramref name="extractorSha256"/> names).</summary>
    public static string WriteAbmil(string folder, int seed, string? extractorSha256 = null)
    {
        var config = new MilHeadConfig { Kind = MilHeadKind.Abmil, Task = MilTask.Classify, InputDim = HandETextureExtractor.EmbeddingDim, EncoderDim = 16, AttentionDim = 8 };
        var origin = new FeatureOrigin(HandETextureExtractor.Id, extractorSha256 ?? HandETextureExtractor.Sha256, HandETextureExtractor.EmbeddingDim);
        MilModelFolder.Write(folder, TrainedHead.ToModel(MilHeads.Create(config, seed), Classes, origin, new { seed }, summary: null));
        return folder;
    }
}
