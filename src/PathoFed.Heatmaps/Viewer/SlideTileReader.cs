using OpenCvSharp;
using PathoFed.Slides;

namespace PathoFed.Heatmaps.Viewer;

/// <summary>Deep Zoom tiles of a slide: the area read from the best pyramid level for the zoom, then shrunk to the tile.</summary>
internal static class SlideTileReader
{
    // cv::IMWRITE_JPEG_SAMPLING_FACTOR and its 4:4:4 value, missing from OpenCvSharp's ImwriteFlags. Full-resolution
    // chroma: 4:2:0 smears the stain colours of fine nuclei, which is what a pathologist zooms in to judge.
    private const int JpegSamplingFactorFlag = 7;
    private const int JpegSampling444 = 0x111111;

    /// <summary>Most pixels one tile may read (64 Mpx): beyond that a slide without a low-resolution level would stall the server.</summary>
    private const long MaxReadPixels = 1L << 26;

    /// <summary>The tile as BGR pixels (white beyond the slide's edge, as OpenSlide returns it).</summary>
    /// <exception cref="HeatmapException">The slide has no level coarse enough to read the tile in one bounded read.</exception>
    public static Mat Read(ISlide slide, DeepZoomTile tile)
    {
        SlideMetadata metadata = slide.Metadata;
        // Never finer than needed, never enlarged: the level whose downsample is at most the tile's scale.
        int level = metadata.BestLevelForDownsample(tile.Level0PerPx);
        double downsample = metadata.Levels[level].Downsample;
        int readWidth = Math.Max(1, (int)Math.Ceiling(tile.WidthPx * tile.Level0PerPx / downsample));
        int readHeight = Math.Max(1, (int)Math.Ceiling(tile.HeightPx * tile.Level0PerPx / downsample));
        if ((long)readWidth * readHeight > MaxReadPixels)
        {
            throw new HeatmapException(
                $"Slide '{slide.Path}' has no pyramid level coarse enough for this zoom: one tile would read {readWidth} x {readHeight} px of level {level}. " +
                "Zoom in, or convert the slide to a pyramidal TIFF (e.g. vips tiffsave --tile --pyramid).");
        }
        Mat region = slide.ReadRegion(tile.Level0Left, tile.Level0Top, level, readWidth, readHeight);
        if (readWidth == tile.WidthPx && readHeight == tile.HeightPx) return region;
        try
        {
            var resized = new Mat();
            Cv2.Resize(region, resized, new Size(tile.WidthPx, tile.HeightPx), interpolation: InterpolationFlags.Area);
            return resized;
        }
        finally
        {
            region.Dispose();
        }
    }

    public static byte[] ReadJpeg(ISlide slide, DeepZoomTile tile, int quality)
    {
        using Mat pixels = Read(slide, tile);
        return TileEncoding.Encode(".jpg", pixels, [(int)ImwriteFlags.JpegQuality, quality, JpegSamplingFactorFlag, JpegSampling444]);
    }
}
