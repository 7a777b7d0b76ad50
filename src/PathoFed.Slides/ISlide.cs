using OpenCvSharp;

namespace PathoFed.Slides;

/// <summary>
/// An open whole-slide image. Implementations are safe to read from several threads at once.
/// Regions come back as 8-bit BGR <see cref="Mat"/>s (OpenCV's channel order); areas outside the slide are white.
/// </summary>
public interface ISlide : IDisposable
{
    string Path { get; }

    SlideMetadata Metadata { get; }

    /// <summary>
    /// Reads <paramref name="widthPx"/> x <paramref name="heightPx"/> pixels of <paramref name="level"/> whose top-left
    /// corner lies at (<paramref name="level0X"/>, <paramref name="level0Y"/>) in level-0 pixels, into
    /// <paramref name="destination"/> (reallocated as CV_8UC3 when its size or type differ, so a caller can reuse it).
    /// </summary>
    /// <exception cref="SlideReadException">The slide's data could not be decoded.</exception>
    void ReadRegion(long level0X, long level0Y, int level, int widthPx, int heightPx, Mat destination);

    /// <summary>Reads an associated image (thumbnail, label, macro...) listed in <see cref="SlideMetadata.AssociatedImages"/>.</summary>
    /// <exception cref="SlideReadException">The image is not listed or cannot be decoded.</exception>
    Mat ReadAssociatedImage(string name);
}

public static class SlideExtensions
{
    /// <summary>Reads a region into a new Mat owned by the caller.</summary>
    public static Mat ReadRegion(this ISlide slide, long level0X, long level0Y, int level, int widthPx, int heightPx)
    {
        var mat = new Mat();
        try
        {
            slide.ReadRegion(level0X, level0Y, level, widthPx, heightPx, mat);
            return mat;
        }
        catch
        {
            mat.Dispose();
            throw;
        }
    }
}
