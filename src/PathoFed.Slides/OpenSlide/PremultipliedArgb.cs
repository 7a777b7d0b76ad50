using OpenCvSharp;

namespace PathoFed.Slides.OpenSlide;

/// <summary>
/// OpenSlide returns premultiplied ARGB words; on little-endian machines their bytes are B, G, R, A, which is
/// OpenCV's BGRA. Transparent pixels (outside the scanned area or the slide) are composited over white so that
/// background looks like glass everywhere.
/// </summary>
internal static class PremultipliedArgb
{
    /// <summary>Converts <paramref name="rows"/> x <paramref name="cols"/> words at <paramref name="argb"/> (modified in place) into BGR.</summary>
    public static unsafe void ToBgrOverWhite(uint* argb, int rows, int cols, Mat destination)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("PathoFed reads OpenSlide pixels on little-endian machines only.");

        // Premultiplied colour c over white is c + (255 - a) per channel, and the result is opaque.
        var words = new Span<uint>(argb, rows * cols);
        for (int i = 0; i < words.Length; i++)
        {
            uint word = words[i];
            uint alpha = word >> 24;
            if (alpha == 0xFF) continue;
            uint add = 0xFF - alpha;
            uint b = (word & 0xFF) + add, g = ((word >> 8) & 0xFF) + add, r = ((word >> 16) & 0xFF) + add;
            words[i] = 0xFF000000u | (Math.Min(r, 255u) << 16) | (Math.Min(g, 255u) << 8) | Math.Min(b, 255u);
        }

        using var bgra = Mat.FromPixelData(rows, cols, MatType.CV_8UC4, (IntPtr)argb);
        Cv2.CvtColor(bgra, destination, ColorConversionCodes.BGRA2BGR);
    }
}
