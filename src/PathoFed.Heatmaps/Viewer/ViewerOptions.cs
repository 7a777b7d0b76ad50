using System.Net;

namespace PathoFed.Heatmaps.Viewer;

/// <summary>
/// What <see cref="SlideViewerHost"/> serves: the slides of one folder, the results <c>pathofed score</c> wrote for them,
/// and where it listens. Immutable; <see cref="Validate"/> checks every value once.
/// </summary>
/// <param name="SlidesFolder">Folder searched recursively for slide files; only the slides found there are served.</param>
/// <param name="ResultsFolder">Folder holding <c>scores.csv</c> and <c>patch-scores/&lt;slide_id&gt;.parquet</c>; either may be missing.</param>
/// <param name="Port">TCP port; 0 picks a free one (see <see cref="SlideViewerHost.Port"/>).</param>
/// <param name="Host">IP address to bind, or <c>localhost</c>; loopback by default, since slides are patient data.</param>
public sealed record ViewerOptions(string SlidesFolder, string ResultsFolder, int Port = ViewerOptions.DefaultPort, string Host = ViewerOptions.DefaultHost)
{
    public const int DefaultPort = 8080;

    public const string DefaultHost = "127.0.0.1";

    /// <summary>Open slide handles kept; the least recently used is closed when another is needed.</summary>
    public int SlideCacheCapacity { get; init; } = 8;

    /// <summary>JPEG quality of slide tiles, 1-100.</summary>
    public int JpegQuality { get; init; } = 95;

    /// <summary>How the overlay scales scores to colours (the same choices as <c>pathofed heatmap</c>).</summary>
    public HeatmapNormalization Normalization { get; init; } = HeatmapNormalization.Percentile;

    /// <exception cref="ArgumentException">A value is out of range.</exception>
    /// <exception cref="HeatmapException">A folder does not exist.</exception>
    public ViewerOptions Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(SlidesFolder);
        ArgumentException.ThrowIfNullOrWhiteSpace(ResultsFolder);
        ArgumentException.ThrowIfNullOrWhiteSpace(Host);
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), Port, "port must be 0-65535 (0 picks a free one)");
        if (SlideCacheCapacity is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(SlideCacheCapacity), SlideCacheCapacity, "slide cache capacity must be 1-1024");
        if (JpegQuality is < 1 or > 100) throw new ArgumentOutOfRangeException(nameof(JpegQuality), JpegQuality, "JPEG quality must be 1-100");
        if (!Enum.IsDefined(Normalization)) throw new ArgumentOutOfRangeException(nameof(Normalization), Normalization, "unknown normalisation");
        _ = BindAddress();
        if (!Directory.Exists(SlidesFolder)) throw new HeatmapException($"Slides folder '{SlidesFolder}' does not exist.");
        if (!Directory.Exists(ResultsFolder)) throw new HeatmapException($"Results folder '{ResultsFolder}' does not exist; pass the folder 'pathofed score' wrote scores.csv into.");
        return this;
    }

    /// <summary>The address Kestrel binds: an IP literal, or loopback for <c>localhost</c>.</summary>
    /// <exception cref="ArgumentException">The host is neither.</exception>
    internal IPAddress BindAddress()
    {
        if (string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        return IPAddress.TryParse(Host, out IPAddress? address)
            ? address
            : throw new ArgumentException($"Host '{Host}' is not an IP address or 'localhost' (e.g. 127.0.0.1, or 0.0.0.0 to listen on every interface).", nameof(Host));
    }
}
