namespace PathoFed.Slides.Synthetic;

/// <summary>One pyramid level to write: its size in its own pixels and its exact downsample from level 0.</summary>
internal sealed record SyntheticLevel(long Width, long Height, double Downsample);

/// <summary>The Aperio-like pyramid layout: each level 4x smaller, sides rounded down, until the longer side fits a screen.</summary>
internal static class SyntheticPyramid
{
    public const int LevelFactor = 4;

    /// <summary>Levels stop once the longer side is at most this, so the smallest level is a cheap overview.</summary>
    public const long MaxSmallestLevelSidePx = 2000;

    public const int ThumbnailLongSidePx = 1024;

    /// <summary>
    /// Above this many level-0 pixels the file is BigTIFF: classic TIFF offsets stop at 4 GiB, which JPEG at high
    /// quality on noisy content can approach from about 1.5 Gpx. OpenSlide 3.4.1 reads both.
    /// </summary>
    public const long BigTiffThresholdPx = 1_500_000_000;

    public static List<SyntheticLevel> Levels(long width, long height)
    {
        var levels = new List<SyntheticLevel> { new(width, height, 1) };
        double downsample = 1;
        while (Math.Max(width, height) > MaxSmallestLevelSidePx && Math.Min(width, height) >= LevelFactor)
        {
            // Like Aperio's scanners: each level's sides are the previous level's divided by 4, rounded down.
            width /= LevelFactor;
            height /= LevelFactor;
            downsample *= LevelFactor;
            levels.Add(new SyntheticLevel(width, height, downsample));
        }
        return levels;
    }

    public static bool NeedsBigTiff(long width, long height) => width * height > BigTiffThresholdPx;

    /// <summary>The downsample and size of a whole-slide image fitting inside <paramref name="maxWidth"/> x <paramref name="maxHeight"/> px, never enlarged.</summary>
    public static (double Downsample, int Width, int Height) Fit(long width, long height, double maxWidth, double maxHeight)
    {
        double downsample = Math.Max(1, Math.Max(width / maxWidth, height / maxHeight));
        int w = Math.Max(1, (int)Math.Floor(width / downsample));
        int h = Math.Max(1, (int)Math.Floor(height / downsample));
        return (downsample, w, h);
    }
}
