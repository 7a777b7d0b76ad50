using OpenCvSharp;

namespace PathoFed.Slides.Tissue;

/// <summary>
/// A downsampled image of the whole slide and its scale. Built tile by tile from the best pyramid level, so even
/// a slide with no low-resolution level never has more than one tile of it in memory.
/// </summary>
public sealed class SlideThumbnail : IDisposable
{
    /// <summary>Side of the level tiles read while building a thumbnail: 4 Mpx per read keeps memory flat.</summary>
    private const int ReadTilePx = 2048;

    private SlideThumbnail(Mat image, double level0PerPxX, double level0PerPxY)
    {
        Image = image;
        Level0PerPxX = level0PerPxX;
        Level0PerPxY = level0PerPxY;
    }

    /// <summary>BGR pixels, CV_8UC3.</summary>
    public Mat Image { get; }

    /// <summary>Level-0 pixels per thumbnail pixel along x.</summary>
    public double Level0PerPxX { get; }

    /// <summary>Level-0 pixels per thumbnail pixel along y.</summary>
    public double Level0PerPxY { get; }

    /// <summary>Wraps an image already in memory (taking ownership of it), e.g. to detect tissue on an exported thumbnail.</summary>
    public static SlideThumbnail FromImage(Mat image, double level0PerPxX, double level0PerPxY)
    {
        if (image.Type() != MatType.CV_8UC3) throw new ArgumentException($"thumbnail must be CV_8UC3 BGR, not {image.Type()}", nameof(image));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(level0PerPxX);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(level0PerPxY);
        return new SlideThumbnail(image, level0PerPxX, level0PerPxY);
    }

    /// <summary>Reads the slide at <paramref name="downsample"/> (level-0 pixels per thumbnail pixel, at least 1).</summary>
    public static SlideThumbnail Read(ISlide slide, double downsample, IProgress<double>? progress = null, CancellationToken cancellationToken = default) =>
        Read(slide, downsample, ReadTilePx, progress, cancellationToken);

    internal static SlideThumbnail Read(ISlide slide, double downsample, int readTilePx, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(downsample, 1.0);
        SlideMetadata metadata = slide.Metadata;
        int width = (int)Math.Max(1, Math.Ceiling(metadata.Level0Width / downsample));
        int height = (int)Math.Max(1, Math.Ceiling(metadata.Level0Height / downsample));
        int level = metadata.BestLevelForDownsample(downsample);
        SlideLevel source = metadata.Levels[level];

        // Thumbnail pixels per source-level pixel; tile edges map through floor() so neighbouring tiles meet exactly.
        double scaleX = (double)width / source.Width;
        double scaleY = (double)height / source.Height;
        var image = new Mat(height, width, MatType.CV_8UC3, Scalar.White);
        using var tile = new Mat();
        try
        {
            for (long y0 = 0; y0 < source.Height; y0 += readTilePx)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report((double)y0 / source.Height);
                long y1 = Math.Min(source.Height, y0 + readTilePx);
                int destY0 = (int)Math.Floor(y0 * scaleY), destY1 = Math.Min(height, (int)Math.Floor(y1 * scaleY));
                if (y1 == source.Height) destY1 = height;
                for (long x0 = 0; x0 < source.Width; x0 += readTilePx)
                {
                    long x1 = Math.Min(source.Width, x0 + readTilePx);
                    int destX0 = (int)Math.Floor(x0 * scaleX), destX1 = Math.Min(width, (int)Math.Floor(x1 * scaleX));
                    if (x1 == source.Width) destX1 = width;
                    if (destX1 <= destX0 || destY1 <= destY0) continue;

                    slide.ReadRegion((long)Math.Round(x0 * source.Downsample), (long)Math.Round(y0 * source.Downsample),
                        level, (int)(x1 - x0), (int)(y1 - y0), tile);
                    using Mat target = image[new Rect(destX0, destY0, destX1 - destX0, destY1 - destY0)];
                    Cv2.Resize(tile, target, target.Size(), interpolation: InterpolationFlags.Area);
                }
            }
            return new SlideThumbnail(image, (double)metadata.Level0Width / width, (double)metadata.Level0Height / height);
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    public void Dispose() => Image.Dispose();
}
