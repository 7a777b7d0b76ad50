using PathoFed.Slides.Batches;

namespace PathoFed.Slides.Tiling;

/// <summary>
/// Tiles many slides with a pool of workers. Slides whose outputs are complete for the same settings are skipped,
/// so a killed job resumes where it stopped; a slide that fails is recorded in <c>errors.csv</c> and the others
/// carry on.
/// </summary>
public sealed class TilingJob(TilingSettings settings, string outputFolder, int workers)
{
    private readonly SlideTiler _tiler = new(settings);

    public Task<SlideBatchResult> RunAsync(IReadOnlyList<SlideSource> sources, IProgress<SlideProgress>? progress = null, CancellationToken cancellationToken = default) =>
        new SlideBatch(outputFolder, workers).RunAsync(sources, TileOneAsync, progress, cancellationToken);

    private async Task<SlideWork> TileOneAsync(SlideSource source, string folder, ISlideStageProgress progress, CancellationToken cancellationToken)
    {
        if (_tiler.CompletedRecord(source, folder) is { } done) return SlideWork.Skipped(done.Patches);
        SlideRecord record = await _tiler.TileAsync(source, folder, new SlideStepProgress(progress), cancellationToken);
        return SlideWork.Done(record.Patches);
    }
}
