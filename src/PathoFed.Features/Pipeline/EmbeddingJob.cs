using System.Globalization;
using PathoFed.Features.Extractors;
using PathoFed.Features.Storage;
using PathoFed.Slides;
using PathoFed.Slides.Batches;
using PathoFed.Slides.Tiling;

namespace PathoFed.Features.Pipeline;

/// <summary>Raised for a slide whose existing patch grid does not suit the extractor.</summary>
public sealed class PatchGridMismatchException(string message) : PathoFedException(message);

/// <summary>
/// Embeds many slides, one after another (each slide's pipeline already uses every core), into
/// <c>OUT/&lt;slide&gt;/features.parquet</c>. A slide not tiled yet is tiled first; a slide whose features table is
/// complete for this extractor is skipped, so a killed job resumes; a slide that fails is listed in <c>errors.csv</c>
/// and the others carry on.
/// </summary>
public sealed class EmbeddingJob
{
    /// <summary>How far a patch's field of view may stray from the one the model was trained on (its µm/px times its cut size).</summary>
    public const double FieldOfViewTolerance = 0.25;

    /// <summary>The part of a slide's progress bar that tiling on the fly takes; embedding fills the rest.</summary>
    private const double TilingShare = 0.1;

    private readonly IFeatureExtractor _extractor;
    private readonly EmbeddingPipeline _pipeline;
    private readonly SlideTiler _tiler;
    private readonly bool _reuseAnyTiling;
    private readonly string _outputFolder;

    /// <param name="tiling">Settings for slides that need tiling; null tiles at the extractor's µm/px and input size
    /// (<see cref="TilingFor"/>) and accepts any earlier complete tiling of the slide.</param>
    public EmbeddingJob(IFeatureExtractor extractor, string outputFolder, TilingSettings? tiling = null, EmbeddingPipelineOptions? pipelineOptions = null)
    {
        _extractor = extractor;
        _outputFolder = outputFolder;
        _pipeline = new EmbeddingPipeline(extractor, pipelineOptions);
        _reuseAnyTiling = tiling is null;
        _tiler = new SlideTiler(tiling ?? TilingFor(extractor.Manifest));
    }

    /// <summary>The default tiling for an extractor: patches of its input size at its µm/px, so nothing is resized.</summary>
    public static TilingSettings TilingFor(ExtractorManifest manifest) => TilingSettings.Default with
    {
        Grid = TilingSettings.Default.Grid with { TargetMpp = manifest.TargetMpp, TargetMagnification = null, PatchSizePx = manifest.Input.CutPx },
    };

    public Task<SlideBatchResult> RunAsync(IReadOnlyList<SlideSource> sources, IProgress<SlideProgress>? progress = null, CancellationToken cancellationToken = default) =>
        new SlideBatch(_outputFolder, workers: 1).RunAsync(sources, EmbedOneAsync, progress, cancellationToken);

    private async Task<SlideWork> EmbedOneAsync(SlideSource source, string folder, ISlideStageProgress progress, CancellationToken cancellationToken)
    {
        SlideRecord tiles = await TileAsync(source, folder, progress, cancellationToken);
        return await EmbedTiledAsync(source, folder, tiles, progress, cancellationToken);
    }

    /// <summary>
    /// The first step of a slide: its complete earlier tiling, or a new one (the first tenth of its progress), checked
    /// against the extractor's field of view. Separate from <see cref="EmbedTiledAsync"/> so that a pipeline can tile the
    /// next slide while the model embeds this one.
    /// </summary>
    /// <exception cref="PatchGridMismatchException">An earlier tiling's patches do not match the extractor's field of view.</exception>
    public async Task<SlideRecord> TileAsync(SlideSource source, string folder, ISlideStageProgress progress, CancellationToken cancellationToken)
    {
        SlideRecord tiles = FinishedTiling(source, folder)
            ?? await _tiler.TileAsync(source, folder, new SlideStepProgress(progress, 0, TilingShare), cancellationToken);
        CheckResolution(tiles, folder);
        return tiles;
    }

    /// <summary>The second step: embeds the patches of <paramref name="tiles"/>, or skips a slide whose features table is already complete.</summary>
    public async Task<SlideWork> EmbedTiledAsync(SlideSource source, string folder, SlideRecord tiles, ISlideStageProgress progress, CancellationToken cancellationToken)
    {
        string featuresPath = Path.Combine(folder, FeatureTable.FileName);
        if (await IsCompleteAsync(featuresPath, tiles, cancellationToken)) return SlideWork.Skipped(tiles.Patches);
        RemoveLeftovers(folder);

        PatchTable table = await PatchTable.ReadAsync(Path.Combine(folder, PatchTable.FileName), cancellationToken);
        using ISlide slide = SlideReader.Open(source.Path, source.OpenOptions);
        var info = new FeatureTableInfo(source.SlideId, _extractor.Manifest.Id, _extractor.Sha256, _extractor.Manifest.Output.Dim, table.Geometry);
        await using FeatureTableWriter writer = await FeatureTableWriter.CreateAsync(featuresPath, info, cancellationToken);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var written = new RowsProgress(progress, table.Patches.Count, started);
        EmbeddingStats stats = await _pipeline.RunAsync(slide, table.Geometry, table.Patches, writer, written, cancellationToken);
        await writer.CompleteAsync();
        return SlideWork.Done(stats.Patches, string.Create(CultureInfo.InvariantCulture, $"{stats.PatchesPerSecond:0} patches/s"));
    }

    /// <summary>Complete tiling of this very file: for these settings, or (without explicit settings) for any, ours included.</summary>
    private SlideRecord? FinishedTiling(SlideSource source, string folder) =>
        _reuseAnyTiling ? SlideTiler.CompletedRecord(source, folder, settings: null) : _tiler.CompletedRecord(source, folder);

    private void CheckResolution(SlideRecord tiles, string folder)
    {
        ExtractorManifest model = _extractor.Manifest;
        double fieldUm = tiles.Geometry.TargetMpp * tiles.Geometry.PatchSizePx, expectedUm = model.TargetMpp * model.Input.CutPx;
        if (Math.Abs(fieldUm / expectedUm - 1) > FieldOfViewTolerance)
        {
            throw new PatchGridMismatchException(string.Create(CultureInfo.InvariantCulture,
                $"'{Path.Combine(folder, PatchTable.FileName)}' holds {tiles.Geometry.PatchSizePx} px patches at {tiles.Geometry.TargetMpp:0.###} µm/px ({fieldUm:0} µm wide), " +
                $"but '{model.Id}' expects {model.Input.CutPx} px at {model.TargetMpp:0.###} µm/px ({expectedUm:0} µm). " +
                $"Re-tile with --mpp {model.TargetMpp:0.###} --patch {model.Input.CutPx}, or delete the slide's folder."));
        }
    }

    private async Task<bool> IsCompleteAsync(string featuresPath, SlideRecord tiles, CancellationToken cancellationToken)
    {
        if (!File.Exists(featuresPath)) return false;
        try
        {
            (FeatureTableInfo info, long rows) = await FeatureRows.ReadInfoAsync(featuresPath, cancellationToken);
            return info.ExtractorSha256 == _extractor.Sha256 && rows == tiles.Patches && info.Geometry == tiles.Geometry;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or Parquet.ParquetException)
        {
            return false; // unreadable: embed again, the atomic rename replaces it
        }
    }

    /// <summary>Temporary files of a killed run (atomic writes never rename them into place).</summary>
    private static void RemoveLeftovers(string folder)
    {
        AtomicFile.RemoveLeftoversOf(Path.Combine(folder, FeatureTable.FileName));
    }

    private sealed class RowsProgress(ISlideStageProgress stage, int total, System.Diagnostics.Stopwatch clock) : IProgress<int>
    {
        public void Report(int value) => stage.Report(
            TilingShare + (1 - TilingShare) * value / Math.Max(1, total),
            string.Create(CultureInfo.InvariantCulture, $"{value / Math.Max(clock.Elapsed.TotalSeconds, 1e-3):0} patches/s"));
    }
}
