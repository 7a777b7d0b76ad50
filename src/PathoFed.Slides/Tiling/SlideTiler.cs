using OpenCvSharp;
using PathoFed.Slides.Patching;
using PathoFed.Slides.Tissue;

namespace PathoFed.Slides.Tiling;

/// <summary>
/// Tiles one slide into its output folder: thumbnail, tissue mask, patch grid, then <c>patches.parquet</c>,
/// <c>tissue.geojson</c>, <c>qc.png</c> and finally <c>slide.json</c>, each written atomically.
/// </summary>
public sealed class SlideTiler
{
    private readonly TilingSettings _settings;
    private readonly ITissueDetector _detector;

    public SlideTiler(TilingSettings settings, ITissueDetector? detector = null)
    {
        _settings = settings;
        settings.Grid.Validate();
        _detector = detector ?? new SaturationTissueDetector(settings.Tissue);
    }

    /// <summary>The record of complete outputs in <paramref name="slideFolder"/> made with these settings from this file, else null.</summary>
    public SlideRecord? CompletedRecord(SlideSource source, string slideFolder) => CompletedRecord(source, slideFolder, _settings);

    /// <summary>
    /// The record of complete outputs in <paramref name="slideFolder"/> made from this very file, with
    /// <paramref name="settings"/>, or (when null) with whatever settings the record names; else null.
    /// </summary>
    public static SlideRecord? CompletedRecord(SlideSource source, string slideFolder, TilingSettings? settings) =>
        SlideRecord.TryRead(System.IO.Path.Combine(slideFolder, SlideRecord.FileName)) is { } record
        && record.Fingerprint == (settings ?? record.Settings).FingerprintFor(source)
        && File.Exists(System.IO.Path.Combine(slideFolder, PatchTable.FileName))
            ? record
            : null;

    /// <exception cref="PathoFedException">The slide cannot be opened or read, or lacks a needed µm/px.</exception>
    public async Task<SlideRecord> TileAsync(SlideSource source, string slideFolder, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        using ISlide slide = SlideReader.Open(source.Path, source.OpenOptions);
        SlideMetadata metadata = slide.Metadata;
        PatchGridGeometry geometry = PatchGridGeometry.Resolve(metadata, source.Path, _settings.Grid); // fails on a missing µm/px before any pixel is read

        Directory.CreateDirectory(slideFolder);
        string recordPath = System.IO.Path.Combine(slideFolder, SlideRecord.FileName);
        File.Delete(recordPath); // the folder is incomplete until the new record lands

        double downsample = _detector.DownsampleFor(metadata);
        using SlideThumbnail thumbnail = SlideThumbnail.Read(slide, downsample, new Progress<double>(f => progress?.Report(0.8 * f)), cancellationToken);
        using TissueMask tissue = _detector.Detect(thumbnail);
        PatchGrid grid = PatchGrid.Plan(metadata, geometry, tissue, _settings.Grid.MinTissueFraction, cancellationToken);
        progress?.Report(0.85);

        var tableMetadata = new Dictionary<string, string>
        {
            ["pathofed.slide_id"] = source.SlideId,
            ["pathofed.slide_path"] = System.IO.Path.GetFullPath(source.Path),
            ["pathofed.slide_mpp"] = metadata.Mpp?.ToString("R", System.Globalization.CultureInfo.InvariantCulture) ?? "",
        };
        await PatchTable.WriteAsync(System.IO.Path.Combine(slideFolder, PatchTable.FileName), grid, tableMetadata, cancellationToken);
        TissueGeoJson.Write(System.IO.Path.Combine(slideFolder, TissueGeoJson.FileName), tissue.Regions, metadata.Mpp);
        using (Mat qc = QcImage.Render(thumbnail, tissue, grid))
        {
            QcImage.Write(System.IO.Path.Combine(slideFolder, QcImage.FileName), qc);
        }

        var record = new SlideRecord(
            source.SlideId,
            System.IO.Path.GetFullPath(source.Path),
            _settings.FingerprintFor(source),
            PathoFedVersion.Current,
            DateTimeOffset.UtcNow,
            metadata,
            _settings,
            grid.Geometry,
            new TissueSummary(tissue.SaturationThreshold, tissue.Regions.Count, tissue.TissueAreaLevel0Px,
                metadata.Mpp is { } mpp ? tissue.TissueAreaLevel0Px * mpp * mpp / 1e6 : null, downsample),
            grid.Candidates,
            grid.Patches.Count);
        record.Write(recordPath);
        progress?.Report(1);
        return record;
    }
}
