using PathoFed.Mil.Data;

namespace PathoFed.Heatmaps.Reports;

/// <summary>What a batch run did to one slide.</summary>
public enum SlideReportStatus
{
    /// <summary>The model scored the slide: it has a prediction.</summary>
    Scored,

    /// <summary>A stage (tiling, embedding, scoring) failed on the slide; the reason says which and why.</summary>
    Failed,

    /// <summary>The run passed over the slide on purpose (no tissue, no patches, not a slide); the reason says why.</summary>
    Skipped,
}

/// <summary>
/// What the batch run was: the header of <c>report.html</c>. The slide counts are not given here: the report counts its
/// slides, so header and table cannot disagree.
/// </summary>
public sealed record BatchReportRun
{
    /// <summary>The page's title and heading, e.g. "PathoFed run: colon-biopsies".</summary>
    public required string Title { get; init; }

    /// <summary>The model's name, as scores.csv's <c>model</c> column carries it.</summary>
    public required string ModelName { get; init; }

    /// <summary>A finer identification of the model when there is one (a folder, a checksum); shown beside the name.</summary>
    public string? ModelId { get; init; }

    public required MilTask Task { get; init; }

    /// <summary>Classification: the class names in the order of <see cref="BatchReportSlide.Probabilities"/>. Survival: empty.</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];

    /// <summary>
    /// The class whose probability ranks the table. Null means the second class of two (the positive class of the MIL
    /// metrics, the later of sorted names such as normal/tumor) and the first class otherwise. Ignored for survival, where
    /// the risk ranks.
    /// </summary>
    public string? PositiveClass { get; init; }

    /// <summary>The feature extractor the slides were embedded with.</summary>
    public required string ExtractorId { get; init; }

    /// <summary>The command line or a description of what was run, shown verbatim; null shows none.</summary>
    public string? Command { get; init; }

    public required DateTimeOffset GeneratedAt { get; init; }

    public string PathoFedVersion { get; init; } = PathoFed.PathoFedVersion.Current;

    /// <summary>Index of the class that ranks the table (-1 for survival).</summary>
    internal int RankingClassIndex =>
        Task == MilTask.Survival ? -1
        : PositiveClass is { } positive ? IndexOfClass(positive)
        : ClassNames.Count == 2 ? 1 : 0;

    internal int IndexOfClass(string name)
    {
        for (int i = 0; i < ClassNames.Count; i++)
        {
            if (string.Equals(ClassNames[i], name, StringComparison.Ordinal)) return i;
        }
        return -1;
    }
}

/// <summary>
/// A slide's heatmap files, as paths relative to the report's folder (absolute paths are made relative); null when the
/// run wrote none. <see cref="InFolder"/> names the files <c>HeatmapExport</c> writes.
/// </summary>
public sealed record SlideHeatmapFiles(string? Overlay, string? Gallery, string? GeoJson, string? Pyramid)
{
    /// <summary>The files <c>HeatmapExport</c> writes into <paramref name="folder"/> (relative to the report's folder).</summary>
    public static SlideHeatmapFiles InFolder(string folder) => new(
        Path.Combine(folder, OverlayImage.FileName), Path.Combine(folder, PatchGallery.FileName),
        Path.Combine(folder, HeatmapGeoJson.FileName), Path.Combine(folder, HeatmapPyramid.FileName));
}

/// <summary>One slide of the run: a line of the score table and a card.</summary>
public sealed record BatchReportSlide
{
    /// <summary>The slide id (its file name without extension); shown escaped, never trusted as markup.</summary>
    public required string SlideId { get; init; }

    public string? SlidePath { get; init; }

    public required SlideReportStatus Status { get; init; }

    /// <summary>Why a slide failed or was skipped, or a note on a scored one; required for <see cref="SlideReportStatus.Failed"/>.</summary>
    public string? Reason { get; init; }

    /// <summary>The predicted class (classification); null for survival. When null for a scored classification slide the report takes the highest probability.</summary>
    public string? PredictedClass { get; init; }

    /// <summary>Per-class probabilities in <see cref="BatchReportRun.ClassNames"/> order (classification, scored slides).</summary>
    public IReadOnlyList<float>? Probabilities { get; init; }

    /// <summary>The predicted risk (survival, scored slides); higher is worse.</summary>
    public float? Risk { get; init; }

    public int? PatchCount { get; init; }

    /// <summary>The known label, one of the class names (the demo knows it); enables the accuracy, AUC and confusion table.</summary>
    public string? TrueLabel { get; init; }

    public SlideHeatmapFiles? Heatmaps { get; init; }

    /// <summary>Why the slide has no heatmap although it was scored (the heatmap stage failed); shown in place of the images.</summary>
    public string? HeatmapError { get; init; }
}

/// <summary>How <c>report.html</c> embeds images. Immutable; <see cref="Validate"/> checks every value once.</summary>
public sealed record BatchReportOptions
{
    /// <summary>Long side of the embedded overlay thumbnail, in pixels (never enlarged).</summary>
    public int OverlayThumbnailLongSidePx { get; init; } = 480;

    /// <summary>Long side of the embedded gallery thumbnail: wider than the overlay's, since the gallery is a strip of patches.</summary>
    public int GalleryThumbnailLongSidePx { get; init; } = 720;

    /// <summary>JPEG quality of the embedded thumbnails, 1-100.</summary>
    public int JpegQuality { get; init; } = 80;

    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    public BatchReportOptions Validate()
    {
        if (OverlayThumbnailLongSidePx is < 32 or > 4096)
            throw new ArgumentOutOfRangeException(nameof(OverlayThumbnailLongSidePx), OverlayThumbnailLongSidePx, "thumbnail size must be 32-4096 px");
        if (GalleryThumbnailLongSidePx is < 32 or > 4096)
            throw new ArgumentOutOfRangeException(nameof(GalleryThumbnailLongSidePx), GalleryThumbnailLongSidePx, "thumbnail size must be 32-4096 px");
        if (JpegQuality is < 1 or > 100) throw new ArgumentOutOfRangeException(nameof(JpegQuality), JpegQuality, "JPEG quality must be 1-100");
        return this;
    }
}

/// <summary>
/// Scored classification slides against their known labels. <see cref="Confusion"/>[truth][predicted] counts slides;
/// <see cref="RocAuc"/> is the positive class's (<see cref="BatchReportRun.PositiveClass"/>, the one ranking the table) for two classes and the macro one-vs-rest mean otherwise, NaN when a class
/// has no labelled slide.
/// </summary>
public sealed record BatchReportMetrics(
    int LabelledSlides,
    int CorrectSlides,
    double Accuracy,
    double BalancedAccuracy,
    double RocAuc,
    IReadOnlyList<string> ClassNames,
    IReadOnlyList<IReadOnlyList<int>> Confusion,
    int UnknownLabelSlides);

/// <summary>What <see cref="BatchReport.Write"/> wrote.</summary>
public sealed record BatchReportResult(
    string Path,
    long SizeBytes,
    int Scored,
    int Failed,
    int Skipped,
    int ImagesEmbedded,
    BatchReportMetrics? Metrics);
