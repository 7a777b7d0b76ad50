using System.Globalization;
using OpenCvSharp;
using PathoFed.Slides;
using PathoFed.Slides.Tissue;

namespace PathoFed.Heatmaps;

/// <summary>
/// <c>overlay.png</c>: the slide thumbnail with the coloured field blended over it where there is data, and a colour
/// bar on the right labelled with the raw scores its ends stand for.
/// </summary>
internal static class OverlayImage
{
    public const string FileName = "overlay.png";

    private const int BarPanelWidthPx = 150;
    private const int BarWidthPx = 24;
    private const int MarginPx = 20;
    private const int MinCanvasHeightPx = 256;
    private const double FontScale = 0.5;
    private static readonly Scalar Ink = Scalar.Black;

    /// <summary>
    /// The overlay canvas: the thumbnail (downsampled so its long side is at most <paramref name="longSidePx"/>) at the
    /// top-left, the colour bar panel to its right.
    /// </summary>
    public static Mat Render(ISlide slide, ColouredField field, HeatmapPalette palette, NormalizedField normalized,
        double alpha, int longSidePx)
    {
        SlideMetadata metadata = slide.Metadata;
        double downsample = Math.Max(1, (double)Math.Max(metadata.Level0Width, metadata.Level0Height) / longSidePx);
        using SlideThumbnail thumbnail = SlideThumbnail.Read(slide, downsample);
        Mat image = thumbnail.Image;

        using (var colours = new Mat())
        using (var mask = new Mat())
        using (var blended = new Mat())
        {
            field.Sample(0, 0, thumbnail.Level0PerPxX, thumbnail.Level0PerPxY, image.Width, image.Height, Scalar.White, colours, mask);
            Cv2.AddWeighted(image, 1 - alpha, colours, alpha, 0, blended);
            blended.CopyTo(image, mask);
        }

        var canvas = new Mat(Math.Max(image.Height, MinCanvasHeightPx), image.Width + BarPanelWidthPx, MatType.CV_8UC3, Scalar.White);
        try
        {
            using (Mat left = canvas[new Rect(0, 0, image.Width, image.Height)]) image.CopyTo(left);
            DrawColourBar(canvas, image.Width, palette, normalized);
            return canvas;
        }
        catch
        {
            canvas.Dispose();
            throw;
        }
    }

    /// <summary>A vertical ramp, high scores at the top, with the raw score of each end beside it.</summary>
    private static void DrawColourBar(Mat canvas, int left, HeatmapPalette palette, NormalizedField normalized)
    {
        int x0 = left + MarginPx, top = MarginPx, height = canvas.Height - 2 * MarginPx;
        for (int y = 0; y < height; y++)
        {
            int index = HeatmapPalette.Index(1 - (float)y / Math.Max(1, height - 1));
            Cv2.Line(canvas, new Point(x0, top + y), new Point(x0 + BarWidthPx - 1, top + y), palette.Colour(index));
        }
        Cv2.Rectangle(canvas, new Rect(x0, top, BarWidthPx, height), Ink);
        int textX = x0 + BarWidthPx + 6;
        Cv2.PutText(canvas, Label(normalized.HighScore), new Point(textX, top + 12), HersheyFonts.HersheySimplex, FontScale, Ink, 1, LineTypes.AntiAlias);
        Cv2.PutText(canvas, Label(normalized.LowScore), new Point(textX, top + height), HersheyFonts.HersheySimplex, FontScale, Ink, 1, LineTypes.AntiAlias);
    }

    internal static string Label(double score) => score.ToString("G4", CultureInfo.InvariantCulture);
}
