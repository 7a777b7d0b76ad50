namespace PathoFed.Heatmaps;

/// <summary>The colour maps a heatmap can be drawn with (OpenCV's of the same names).</summary>
public enum HeatmapColormap
{
    Jet,
    Viridis,
}

/// <summary>How patch scores become colours from 0 to 1.</summary>
public enum HeatmapNormalization
{
    /// <summary>Clip to the 1st-99th percentile of the cells with data, then scale linearly to 0-1: outliers do not wash the map out.</summary>
    Percentile,

    /// <summary>Percentile rank (CLAM's heatmaps): uniform use of the colour map whatever the score distribution.</summary>
    Rank,
}

/// <summary>
/// What <see cref="HeatmapExport"/> draws for one slide: its inputs, the output folder and the rendering settings.
/// Immutable; <see cref="Validate"/> checks every value once.
/// </summary>
public sealed record HeatmapOptions
{
    /// <summary>The slide file (anything <c>SlideReader.Open</c> reads).</summary>
    public required string SlidePath { get; init; }

    /// <summary>The slide's patch-score table written by <c>pathofed score --patch-scores</c>.</summary>
    public required string ScoresPath { get; init; }

    /// <summary>The folder the files go to; created when missing.</summary>
    public required string OutputFolder { get; init; }

    /// <summary>The slide id the scores must carry; null means the slide's file name without extension, as <c>tile</c> names slides.</summary>
    public string? SlideId { get; init; }

    public HeatmapColormap Colormap { get; init; } = HeatmapColormap.Jet;

    public HeatmapNormalization Normalization { get; init; } = HeatmapNormalization.Percentile;

    /// <summary>Opacity of the heatmap over the thumbnail in <c>overlay.png</c>, 0-1.</summary>
    public double Alpha { get; init; } = 0.4;

    /// <summary>Gaussian smoothing of the normalised field, masked so that cells without data neither blur in nor get filled.</summary>
    public bool Smooth { get; init; }

    /// <summary>Gaussian sigma in grid cells (patch strides) when <see cref="Smooth"/> is on.</summary>
    public double SmoothingSigmaCells { get; init; } = 1.0;

    /// <summary>How many of the highest and of the lowest scoring patches <c>gallery.png</c> shows.</summary>
    public int GalleryCount { get; init; } = 8;

    /// <summary>Long side of the thumbnail under <c>overlay.png</c>, in pixels (never larger than the slide).</summary>
    public int OverlayLongSidePx { get; init; } = 2000;

    /// <summary>Tile edge of <c>heatmap.tif</c>, a multiple of 16.</summary>
    public int TiffTileSizePx { get; init; } = 256;

    /// <summary>JPEG quality of <c>heatmap.tif</c>'s tiles, 1-100.</summary>
    public int TiffJpegQuality { get; init; } = 90;

    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public HeatmapOptions Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(SlidePath);
        ArgumentException.ThrowIfNullOrWhiteSpace(ScoresPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(OutputFolder);
        if (!Enum.IsDefined(Colormap)) throw new ArgumentOutOfRangeException(nameof(Colormap), Colormap, "unknown colour map");
        if (!Enum.IsDefined(Normalization)) throw new ArgumentOutOfRangeException(nameof(Normalization), Normalization, "unknown normalisation");
        if (!(Alpha is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "alpha must be 0-1");
        if (!(SmoothingSigmaCells is > 0 and <= 100)) throw new ArgumentOutOfRangeException(nameof(SmoothingSigmaCells), SmoothingSigmaCells, "sigma must be above 0 and at most 100 cells");
        if (GalleryCount is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(GalleryCount), GalleryCount, "gallery count must be 1-256");
        if (OverlayLongSidePx is < 64 or > 16384) throw new ArgumentOutOfRangeException(nameof(OverlayLongSidePx), OverlayLongSidePx, "overlay size must be 64-16384 px");
        if (TiffTileSizePx is < 16 or > 4096 || TiffTileSizePx % 16 != 0) throw new ArgumentOutOfRangeException(nameof(TiffTileSizePx), TiffTileSizePx, "TIFF tiles must be a multiple of 16 from 16 to 4096 px");
        if (TiffJpegQuality is < 1 or > 100) throw new ArgumentOutOfRangeException(nameof(TiffJpegQuality), TiffJpegQuality, "JPEG quality must be 1-100");
        return this;
    }
}
