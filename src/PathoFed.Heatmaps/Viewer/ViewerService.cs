using System.Collections.Concurrent;
using PathoFed.Slides;

namespace PathoFed.Heatmaps.Viewer;

/// <summary>
/// What the endpoints ask for, without HTTP: the catalog, tiles of slides and overlays, the patch under a point.
/// Owns the slide handle cache; overlays are built once per slide on first use (a field is one float per patch stride).
/// </summary>
internal sealed class ViewerService : IDisposable
{
    private readonly ViewerOptions _options;
    private readonly SlideHandleCache _slides;
    private readonly ConcurrentDictionary<string, Lazy<Task<SlideHeatmap?>>> _heatmaps = new(StringComparer.Ordinal);

    public ViewerService(ViewerOptions options, SlideCatalog catalog)
    {
        _options = options;
        Catalog = catalog;
        _slides = new SlideHandleCache(options.SlideCacheCapacity);
    }

    public SlideCatalog Catalog { get; }

    public HeatmapNormalization Normalization => _options.Normalization;

    /// <exception cref="SlideOpenException">The slide cannot be opened.</exception>
    public SlideMetadata Metadata(ViewerSlide slide)
    {
        using SlideHandleCache.Lease lease = _slides.Acquire(slide.Path);
        return lease.Slide.Metadata;
    }

    public DeepZoomLayout Layout(ViewerSlide slide)
    {
        SlideMetadata metadata = Metadata(slide);
        return new DeepZoomLayout(metadata.Level0Width, metadata.Level0Height);
    }

    /// <summary>The JPEG of a slide tile, or null when the level, column or row lies outside the pyramid.</summary>
    /// <exception cref="SlideReadException">The slide's pixels cannot be decoded.</exception>
    public byte[]? SlideTileJpeg(ViewerSlide slide, int level, long column, long row)
    {
        using SlideHandleCache.Lease lease = _slides.Acquire(slide.Path);
        SlideMetadata metadata = lease.Slide.Metadata;
        DeepZoomTile? tile = new DeepZoomLayout(metadata.Level0Width, metadata.Level0Height).Tile(level, column, row);
        return tile is { } found ? SlideTileReader.ReadJpeg(lease.Slide, found, _options.JpegQuality) : null;
    }

    /// <summary>The slide's overlay, or null when the results hold no patch scores for it.</summary>
    /// <exception cref="HeatmapException">The patch scores exist but are unreadable or do not fit the slide.</exception>
    public Task<SlideHeatmap?> HeatmapAsync(ViewerSlide slide) =>
        _heatmaps.GetOrAdd(slide.SlideId, _ => new Lazy<Task<SlideHeatmap?>>(() => LoadHeatmapAsync(slide))).Value;

    public void Dispose() => _slides.Dispose();

    private async Task<SlideHeatmap?> LoadHeatmapAsync(ViewerSlide slide)
    {
        if (Catalog.PatchScoresPath(slide) is not { } path) return null;
        // Not the request's token: the overlay is shared by every later request, so one closed tab must not cancel it.
        return await SlideHeatmap.LoadAsync(path, slide, Metadata(slide), _options.Normalization, CancellationToken.None).ConfigureAwait(false);
    }
}
