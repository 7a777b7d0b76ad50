using OpenCvSharp;
using PathoFed.Slides.Patching;
using PathoFed.Slides.Tissue;

namespace PathoFed.Slides.Tiling;

/// <summary><c>qc.png</c>: the thumbnail with kept patches (blue squares) and tissue outlines (green; holes orange) drawn on it.</summary>
public static class QcImage
{
    public const string FileName = "qc.png";

    private static readonly Scalar PatchColour = new(200, 90, 20);
    private static readonly Scalar TissueColour = new(0, 170, 0);
    private static readonly Scalar HoleColour = new(0, 140, 255);

    public static Mat Render(SlideThumbnail thumbnail, TissueMask tissue, PatchGrid grid)
    {
        Mat canvas = thumbnail.Image.Clone();
        double sx = 1 / thumbnail.Level0PerPxX, sy = 1 / thumbnail.Level0PerPxY;
        int size = grid.Geometry.Level0PatchSize;
        foreach (PatchCoordinate patch in grid.Patches)
        {
            var topLeft = new Point(patch.Level0X * sx, patch.Level0Y * sy);
            var bottomRight = new Point((patch.Level0X + size) * sx, (patch.Level0Y + size) * sy);
            Cv2.Rectangle(canvas, topLeft, bottomRight, PatchColour, 1);
        }

        int outline = Math.Max(2, Math.Max(canvas.Width, canvas.Height) / 600);
        foreach (TissueRegion region in tissue.Regions)
        {
            Cv2.Polylines(canvas, [ToThumbnail(region.Outer, sx, sy)], isClosed: true, TissueColour, outline);
            foreach (IReadOnlyList<Level0Point> hole in region.Holes)
            {
                Cv2.Polylines(canvas, [ToThumbnail(hole, sx, sy)], isClosed: true, HoleColour, outline);
            }
        }
        return canvas;
    }

    public static void Write(string path, Mat image)
    {
        Cv2.ImEncode(".png", image, out byte[] png);
        AtomicFile.WriteAllBytes(path, png);
    }

    private static Point[] ToThumbnail(IReadOnlyList<Level0Point> ring, double sx, double sy) =>
        ring.Select(p => new Point(p.X * sx, p.Y * sy)).ToArray();
}
