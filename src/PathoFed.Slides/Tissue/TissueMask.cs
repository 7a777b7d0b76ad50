using OpenCvSharp;

namespace PathoFed.Slides.Tissue;

/// <summary>
/// Where the tissue is: a binary mask (255 = tissue) at thumbnail resolution and the regions as polygons in level-0
/// pixels. Tissue fractions of level-0 rectangles come from an integral image, so each query costs O(1).
/// </summary>
public sealed class TissueMask : IDisposable
{
    private readonly Mat _integral;

    public TissueMask(Mat mask, double level0PerPxX, double level0PerPxY, IReadOnlyList<TissueRegion> regions, int saturationThreshold)
    {
        if (mask.Type() != MatType.CV_8UC1) throw new ArgumentException($"mask must be CV_8UC1, not {mask.Type()}", nameof(mask));
        Mask = mask;
        Level0PerPxX = level0PerPxX;
        Level0PerPxY = level0PerPxY;
        Regions = regions;
        SaturationThreshold = saturationThreshold;

        using Mat ones = new();
        Cv2.Threshold(mask, ones, 0, 1, ThresholdTypes.Binary);
        _integral = new Mat();
        Cv2.Integral(ones, _integral, MatType.CV_32S);
        TissuePixels = _integral.At<int>(mask.Rows, mask.Cols);
    }

    /// <summary>CV_8UC1, 255 on tissue.</summary>
    public Mat Mask { get; }

    public double Level0PerPxX { get; }

    public double Level0PerPxY { get; }

    public IReadOnlyList<TissueRegion> Regions { get; }

    /// <summary>The saturation threshold applied (fixed, or chosen by Otsu).</summary>
    public int SaturationThreshold { get; }

    public int TissuePixels { get; }

    public double TissueAreaLevel0Px => TissuePixels * Level0PerPxX * Level0PerPxY;

    /// <summary>Fraction (0-1) of mask pixels that are tissue inside a level-0 rectangle; parts outside the slide count as background.</summary>
    public double TissueFraction(long level0X, long level0Y, long widthLevel0, long heightLevel0)
    {
        // Round the rectangle to whole mask pixels, but never to an empty one.
        int x0 = (int)Math.Round(level0X / Level0PerPxX), y0 = (int)Math.Round(level0Y / Level0PerPxY);
        int x1 = Math.Max(x0 + 1, (int)Math.Round((level0X + widthLevel0) / Level0PerPxX));
        int y1 = Math.Max(y0 + 1, (int)Math.Round((level0Y + heightLevel0) / Level0PerPxY));
        long area = (long)(x1 - x0) * (y1 - y0);
        x0 = Math.Clamp(x0, 0, Mask.Cols); x1 = Math.Clamp(x1, 0, Mask.Cols);
        y0 = Math.Clamp(y0, 0, Mask.Rows); y1 = Math.Clamp(y1, 0, Mask.Rows);
        if (x1 <= x0 || y1 <= y0) return 0;
        long sum = (long)_integral.At<int>(y1, x1) - _integral.At<int>(y0, x1) - _integral.At<int>(y1, x0) + _integral.At<int>(y0, x0);
        return (double)sum / area;
    }

    public void Dispose()
    {
        Mask.Dispose();
        _integral.Dispose();
    }
}
