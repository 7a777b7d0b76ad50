using PathoFed.Slides.Writing;

namespace PathoFed.Slides.Synthetic;

/// <summary>The synthetic slide's pyramid: <see cref="PyramidLevel.Layout"/>, plus the size of its associated images.</summary>
internal static class SyntheticPyramid
{
    public const int ThumbnailLongSidePx = 1024;

    public static List<PyramidLevel> Levels(long width, long height) => PyramidLevel.Layout(width, height);

    public static bool NeedsBigTiff(long width, long height) => PyramidalTiffWriter.NeedsBigTiff(width, height);

    /// <summary>The downsample and size of a whole-slide image fitting inside <paramref name="maxWidth"/> x <paramref name="maxHeight"/> px, never enlarged.</summary>
    public static (double Downsample, int Width, int Height) Fit(long width, long height, double maxWidth, double maxHeight)
    {
        double downsample = Math.Max(1, Math.Max(width / maxWidth, height / maxHeight));
        int w = Math.Max(1, (int)Math.Floor(width / downsample));
        int h = Math.Max(1, (int)Math.Floor(height / downsample));
        return (downsample, w, h);
    }
}
