using OpenCvSharp;
using PathoFed.Mil.Experiments;
using PathoFed.Slides;

namespace PathoFed.Heatmaps;

/// <summary>The files written for one slide and what was drawn.</summary>
public sealed record HeatmapResult(
    string OutputFolder,
    IReadOnlyList<string> Files,
    int PatchCount,
    int Columns,
    int Rows,
    double LowScore,
    double HighScore,
    GallerySelection Gallery);

/// <summary>
/// Draws a slide's patch scores (the <c>pathofed heatmap</c> verb): <c>heatmap-raw.tif</c> and <c>heatmap-raw.png</c>
/// (the field at patch resolution), <c>overlay.png</c> (thumbnail, heatmap and colour bar), <c>gallery.png</c> (top and
/// bottom patches), <c>heatmap.geojson</c> (QuPath detections) and <c>heatmap.tif</c> (full-resolution pyramid aligned
/// to the slide). Each file is written atomically.
/// </summary>
public static class HeatmapExport
{
    /// <summary>Every file a run writes, in the order it writes them.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
    [
        RawHeatmapImages.ScoresFileName, RawHeatmapImages.ColourFileName, OverlayImage.FileName,
        PatchGallery.FileName, HeatmapGeoJson.FileName, HeatmapPyramid.FileName,
    ];

    /// <summary>Blocking form of <see cref="RunAsync"/> for command-line verbs.</summary>
    /// <inheritdoc cref="RunAsync" path="/exception"/>
    public static HeatmapResult Run(HeatmapOptions options, CancellationToken cancellationToken = default) =>
        RunAsync(options, cancellationToken).GetAwaiter().GetResult();

    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="HeatmapException">The scores are unreadable, empty, for another slide, or lie outside it.</exception>
    /// <exception cref="SlideOpenException">The slide cannot be opened.</exception>
    /// <exception cref="SlideReadException">The slide's pixels cannot be read.</exception>
    public static async Task<HeatmapResult> RunAsync(HeatmapOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        PatchScoreTable.Content scores = await HeatmapInputs.ReadScoresAsync(options.ScoresPath, cancellationToken).ConfigureAwait(false);
        using ISlide slide = SlideReader.Open(options.SlidePath);
        SlideMetadata metadata = slide.Metadata;
        string slideId = options.SlideId ?? Path.GetFileNameWithoutExtension(options.SlidePath);
        HeatmapInputs.Validate(scores, metadata, options.SlidePath, options.ScoresPath, slideId);

        var field = ScoreField.FromPatches(scores.Patches, scores.Scores, scores.Geometry.Level0PatchSize, scores.Geometry.Level0Stride,
            metadata.Level0Width, metadata.Level0Height);
        NormalizedField normalized = ScoreNormalization.Normalize(field, options.Normalization);
        if (options.Smooth) normalized = normalized with { Field = FieldSmoothing.Smooth(normalized.Field, options.SmoothingSigmaCells) };
        var palette = new HeatmapPalette(options.Colormap);
        var colours = new ColouredField(normalized.Field, palette);

        string folder = options.OutputFolder;
        Directory.CreateDirectory(folder);
        RawHeatmapImages.Write(folder, field, colours);
        cancellationToken.ThrowIfCancellationRequested();

        using (Mat overlay = OverlayImage.Render(slide, colours, palette, normalized, options.Alpha, options.OverlayLongSidePx))
        {
            ImageFiles.Write(Path.Combine(folder, OverlayImage.FileName), overlay);
        }
        cancellationToken.ThrowIfCancellationRequested();

        var gallery = GallerySelection.Choose(scores.Scores, options.GalleryCount);
        using (Mat galleryImage = PatchGallery.Render(slide, scores.Geometry, scores.Patches, scores.Scores, gallery))
        {
            ImageFiles.Write(Path.Combine(folder, PatchGallery.FileName), galleryImage);
        }

        HeatmapGeoJson.Write(Path.Combine(folder, HeatmapGeoJson.FileName), scores.Patches, scores.Scores, scores.Geometry.Level0PatchSize, scores.ScoreKind);
        HeatmapPyramid.Write(Path.Combine(folder, HeatmapPyramid.FileName), metadata, colours, slideId, scores.Model, scores.ScoreKind,
            options.TiffTileSizePx, options.TiffJpegQuality, cancellationToken);

        return new HeatmapResult(folder, [.. FileNames.Select(name => Path.Combine(folder, name))], scores.Patches.Length,
            field.Columns, field.Rows, normalized.LowScore, normalized.HighScore, gallery);
    }
}
