using DuckDB.NET.Data;
using PathoFed.Features.Extractors;
using PathoFed.Features.Pipeline;
using PathoFed.Features.Storage;
using PathoFed.Features.Tests.Extractors;
using PathoFed.Slides.Batches;
using PathoFed.Slides.Tiling;

namespace PathoFed.Features.Tests.Pipeline;

public sealed class EmbeddingJobTests : IDisposable
{
    private readonly OnnxFeatureExtractor _extractor =
        OnnxFeatureExtractor.Open(HandETextureExtractor.Manifest, new ExtractorRuntimeOptions { Device = ExecutionDevice.Cpu });

    public void Dispose() => _extractor.Dispose();

    private static SlideSource Source(string path) => new(SlideInputs.SlideIdFor(path), path);

    [Fact]
    public async Task Run_RealAndBrokenSlides_TilesEmbedsAndIsolatesTheFailure()
    {
        using var temp = new TempFolder();
        SlideSource[] sources = [Source(TestSlides.SmallHE), Source(TestSlides.Bad.UnreadableSvs)];

        SlideBatchResult result = await new EmbeddingJob(_extractor, temp.Path).RunAsync(sources);

        Assert.Equal([SlideOutcomeKind.Done, SlideOutcomeKind.Failed], result.Outcomes.Select(o => o.Kind));
        Assert.Contains("unreadable.svs", result.Outcomes[1].Error);
        FeatureRows rows = await FeatureRows.ReadAsync(Path.Combine(temp.Path, "small_HE", FeatureTable.FileName));
        PatchTable tiles = await PatchTable.ReadAsync(Path.Combine(temp.Path, "small_HE", PatchTable.FileName));
        Assert.Equal(tiles.Patches, rows.Patches);
        Assert.Equal(224, rows.Info.Geometry.PatchSizePx);
        Assert.Equal(_extractor.Sha256, rows.Info.ExtractorSha256);
        Assert.Contains("unreadable", File.ReadAllText(Path.Combine(temp.Path, SlideBatch.ErrorsFileName)));
    }

    [Fact]
    public async Task Run_Output_IsReadByDuckDbWithOneListOfDimValuesPerPatch()
    {
        using var temp = new TempFolder();
        await new EmbeddingJob(_extractor, temp.Path).RunAsync([Source(TestSlides.SmallHE)]);
        string path = Path.Combine(temp.Path, "small_HE", FeatureTable.FileName);
        FeatureRows rows = await FeatureRows.ReadAsync(path);

        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*), min(len(embedding)), max(len(embedding)), sum(embedding[1]) FROM read_parquet('{path}')";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());

        Assert.Equal(rows.Count, reader.GetInt64(0));
        Assert.Equal(HandETextureExtractor.EmbeddingDim, reader.GetInt64(1));
        Assert.Equal(HandETextureExtractor.EmbeddingDim, reader.GetInt64(2));
        double firstColumn = 0;
        for (int i = 0; i < rows.Count; i++) firstColumn += rows.Embedding(i)[0];
        Assert.Equal(firstColumn, reader.GetDouble(3), 2);
    }

    [Fact]
    public async Task Run_Again_SkipsFinishedSlidesButReEmbedsForAnotherModel()
    {
        using var temp = new TempFolder();
        using var models = new TempFolder();
        SlideSource[] sources = [Source(TestSlides.SmallHE)];
        await new EmbeddingJob(_extractor, temp.Path).RunAsync(sources);
        File.WriteAllText(Path.Combine(temp.Path, "small_HE", $".tmp-{Guid.NewGuid():N}-" + FeatureTable.FileName), "killed mid-write"); // as AtomicFile names it

        SlideBatchResult again = await new EmbeddingJob(_extractor, temp.Path).RunAsync(sources);
        using OnnxFeatureExtractor other = TinyModels.Open(TinyModels.Write(models.Path, "mean-224", TinyModels.MeanColour(224), sizePx: 224));
        SlideBatchResult otherModel = await new EmbeddingJob(other, temp.Path).RunAsync(sources);

        Assert.Equal(SlideOutcomeKind.Skipped, Assert.Single(again.Outcomes).Kind);
        Assert.Equal(SlideOutcomeKind.Done, Assert.Single(otherModel.Outcomes).Kind);
        FeatureRows rows = await FeatureRows.ReadAsync(Path.Combine(temp.Path, "small_HE", FeatureTable.FileName));
        Assert.Equal("mean-224", rows.Info.ExtractorId);
        Assert.Equal(3, rows.Info.EmbeddingDim);
        Assert.Empty(Directory.GetFiles(Path.Combine(temp.Path, "small_HE"), ".tmp-*"));
    }

    [Fact]
    public async Task Run_ExistingTilesOfAnotherFieldOfView_FailsSayingHowToReTile()
    {
        using var temp = new TempFolder();
        var coarse = EmbeddingJob.TilingFor(HandETextureExtractor.Manifest) with
        {
            Grid = EmbeddingJob.TilingFor(HandETextureExtractor.Manifest).Grid with { TargetMpp = 1.0 },
        };
        SlideSource[] sources = [Source(TestSlides.SmallHE)];
        await new TilingJob(coarse, temp.Path, 1).RunAsync(sources);

        SlideBatchResult result = await new EmbeddingJob(_extractor, temp.Path).RunAsync(sources);

        string error = Assert.Single(result.Outcomes).Error!;
        Assert.Contains("at 1 µm/px", error);
        Assert.Contains("--mpp 0.5 --patch 224", error);
    }

    [Fact]
    public async Task Run_CutSizeDiffersFromInput_TilesAtTheCutSizeAndResizes()
    {
        using var temp = new TempFolder();
        using var models = new TempFolder();
        using OnnxFeatureExtractor clamLike = TinyModels.Open(
            TinyModels.Write(models.Path, "cut-256", TinyModels.MeanColour(224), sizePx: 224, patchPx: 256));

        SlideBatchResult result = await new EmbeddingJob(clamLike, temp.Path).RunAsync([Source(TestSlides.SmallHE)]);

        Assert.Equal(SlideOutcomeKind.Done, Assert.Single(result.Outcomes).Kind);
        FeatureRows rows = await FeatureRows.ReadAsync(Path.Combine(temp.Path, "small_HE", FeatureTable.FileName));
        Assert.Equal(256, rows.Info.Geometry.PatchSizePx);
        Assert.True(rows.Count > 10);
    }
}
