using OpenCvSharp;
using PathoFed.Features.Extractors;
using PathoFed.Features.Pipeline;
using PathoFed.Features.Storage;
using PathoFed.Slides;
using PathoFed.Slides.Patching;
using PathoFed.Slides.Tiling;

namespace PathoFed.Features.Tests.Pipeline;

/// <summary>The pipeline on the real H&amp;E slide, tiled once for the class at the default extractor's 224 px, 0.5 µm/px.</summary>
public sealed class EmbeddingPipelineTests : IClassFixture<EmbeddingPipelineTests.TiledSlide>
{
    private readonly TiledSlide _tiled;

    public EmbeddingPipelineTests(TiledSlide tiled) => _tiled = tiled;

    public sealed class TiledSlide : IDisposable
    {
        private readonly TempFolder _temp = new();

        public TiledSlide()
        {
            var tiler = new SlideTiler(EmbeddingJob.TilingFor(HandETextureExtractor.Manifest));
            tiler.TileAsync(new SlideSource("small_HE", TestSlides.SmallHE), _temp.Path).GetAwaiter().GetResult();
            Table = PatchTable.ReadAsync(_temp.File(PatchTable.FileName)).GetAwaiter().GetResult();
            Extractor = OnnxFeatureExtractor.Open(HandETextureExtractor.Manifest, new ExtractorRuntimeOptions { Device = ExecutionDevice.Cpu });
        }

        public PatchTable Table { get; }

        public OnnxFeatureExtractor Extractor { get; }

        public string NewPath() => _temp.File(Guid.NewGuid().ToString("N") + ".parquet");

        public void Dispose()
        {
            Extractor.Dispose();
            _temp.Dispose();
        }
    }

    private async Task<(FeatureRows Rows, EmbeddingStats Stats)> EmbedAsync(IFeatureExtractor extractor, EmbeddingPipelineOptions options, CancellationToken cancellationToken = default)
    {
        string path = _tiled.NewPath();
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        var info = new FeatureTableInfo("small_HE", extractor.Manifest.Id, extractor.Sha256, extractor.Manifest.Output.Dim, _tiled.Table.Geometry);
        EmbeddingStats stats;
        await using (FeatureTableWriter writer = await FeatureTableWriter.CreateAsync(path, info, cancellationToken))
        {
            stats = await new EmbeddingPipeline(extractor, options).RunAsync(slide, _tiled.Table.Geometry, _tiled.Table.Patches, writer, null, cancellationToken);
            await writer.CompleteAsync();
        }
        return (await FeatureRows.ReadAsync(path, cancellationToken), stats);
    }

    [Fact]
    public async Task Run_RealSlide_RowsInPatchOrderEqualEmbeddingEachPatchAlone()
    {
        var (rows, stats) = await EmbedAsync(_tiled.Extractor, new EmbeddingPipelineOptions { BatchSize = 8, ReaderThreads = 2, RowGroupRows = 16 });
        using var direct = new Extractors.ExtractorSession();
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        using var reader = new PatchReader(slide, _tiled.Table.Geometry);
        using var patch = new Mat();

        Assert.True(_tiled.Table.Patches.Count > 30, "the real slide should give a few dozen patches");
        Assert.Equal(_tiled.Table.Patches, rows.Patches);
        Assert.Equal(_tiled.Table.Patches.Count, stats.Patches);
        Assert.Equal((stats.Patches + 7) / 8, stats.Batches);
        foreach (int i in new[] { 0, 13, rows.Count - 1 })
        {
            reader.Read(rows.Patches[i].Level0X, rows.Patches[i].Level0Y, patch);
            float[] alone = direct.Embed(patch)[0];
            for (int j = 0; j < alone.Length; j++) Assert.Equal(alone[j], rows.Embedding(i)[j], 4);
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 3)]
    [InlineData(64, 2)]
    public async Task Run_AnyBatchSizeAndReaderCount_GivesTheSameEmbeddings(int batch, int readers)
    {
        var (reference, _) = await EmbedAsync(_tiled.Extractor, new EmbeddingPipelineOptions { BatchSize = 32, ReaderThreads = 1 });
        var (rows, _) = await EmbedAsync(_tiled.Extractor, new EmbeddingPipelineOptions { BatchSize = batch, ReaderThreads = readers });

        Assert.Equal(reference.Patches, rows.Patches);
        float worst = 0;
        for (int i = 0; i < rows.Embeddings.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(rows.Embeddings[i] - reference.Embeddings[i]) / (1e-3f + Math.Abs(reference.Embeddings[i])));
        }
        Assert.True(worst < 1e-4f, $"batch {batch}, {readers} readers: largest relative difference {worst}");
    }

    [Fact]
    public async Task Run_ExtractorFailsMidway_ThatErrorSurfacesAndNoTableIsLeft()
    {
        using var failing = new FailingExtractor(_tiled.Extractor, failOnCall: 3);
        string path = _tiled.NewPath();
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        var info = new FeatureTableInfo("small_HE", "x", failing.Sha256, failing.Manifest.Output.Dim, _tiled.Table.Geometry);

        await using (FeatureTableWriter writer = await FeatureTableWriter.CreateAsync(path, info))
        {
            var pipeline = new EmbeddingPipeline(failing, new EmbeddingPipelineOptions { BatchSize = 4, ReaderThreads = 2 });
            var e = await Assert.ThrowsAsync<ModelLoadException>(() => pipeline.RunAsync(slide, _tiled.Table.Geometry, _tiled.Table.Patches, writer));
            Assert.Contains("call 3", e.Message);
        }

        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, ".tmp-*"));
    }

    [Fact]
    public async Task Run_Cancelled_ThrowsOperationCanceled()
    {
        using var cancel = new CancellationTokenSource();
        using var slow = new FailingExtractor(_tiled.Extractor, failOnCall: int.MaxValue, onCall: n => { if (n == 2) cancel.Cancel(); });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => EmbedAsync(slow, new EmbeddingPipelineOptions { BatchSize = 2 }, cancel.Token));
    }

    /// <summary>Delegates to a real extractor and fails (or calls back) on a given call, to test the pipeline's error paths.</summary>
    private sealed class FailingExtractor(IFeatureExtractor inner, int failOnCall, Action<int>? onCall = null) : IFeatureExtractor
    {
        private int _calls;

        public ExtractorManifest Manifest => inner.Manifest;
        public string Sha256 => inner.Sha256;
        public string Device => inner.Device;
        public int? FixedBatchSize => inner.FixedBatchSize;

        public void Run(Memory<float> pixels, int count, Memory<float> embeddings)
        {
            int call = Interlocked.Increment(ref _calls);
            onCall?.Invoke(call);
            if (call == failOnCall) throw new ModelLoadException($"injected failure on call {call}");
            inner.Run(pixels, count, embeddings);
        }

        public void Dispose() { }
    }
}
