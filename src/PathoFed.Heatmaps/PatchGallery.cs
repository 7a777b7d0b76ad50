using OpenCvSharp;
using PathoFed.Slides;
using PathoFed.Slides.Patching;

namespace PathoFed.Heatmaps;

/// <summary>The patches <c>gallery.png</c> shows: indices into the score table, highest first and lowest first.</summary>
public sealed record GallerySelection(IReadOnlyList<int> Highest, IReadOnlyList<int> Lowest)
{
    /// <summary>The <paramref name="count"/> highest and lowest scores (fewer when the table is smaller); ties keep table order.</summary>
    public static GallerySelection Choose(ReadOnlySpan<float> scores, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        int[] order = new int[scores.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        float[] keys = scores.ToArray();
        // A stable order (by score, then index), so the same table always yields the same gallery.
        Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : a.CompareTo(b));
        int take = Math.Min(count, order.Length);
        var highest = new int[take];
        for (int i = 0; i < take; i++) highest[i] = order[order.Length - 1 - i];
        return new GallerySelection(highest, order[..take]);
    }
}

/// <summary>
/// <c>gallery.png</c>: the highest scoring patches in the top row and the lowest in the bottom row, each read at the
/// grid's target resolution (as the model saw it) with its score printed underneath.
/// </summary>
internal static class PatchGallery
{
    public const string FileName = "gallery.png";

    /// <summary>Patches larger than this are shrunk for the gallery; smaller ones are shown as they are.</summary>
    public const int MaxTilePx = 256;

    public const int CaptionHeightPx = 28;

    /// <summary>White space between neighbouring tiles, so similar-looking patches do not merge into one picture.</summary>
    public const int GutterPx = 6;

    private const double FontScale = 0.55;

    /// <summary>Top-left of a tile: row 0 holds the highest scores, row 1 the lowest; captions sit under the tiles.</summary>
    public static Point TileOrigin(int row, int column, int tilePx) => new(column * (tilePx + GutterPx), row * (tilePx + CaptionHeightPx));

    public static Mat Render(ISlide slide, PatchGridGeometry geometry, IReadOnlyList<PatchCoordinate> patches, ReadOnlySpan<float> scores, GallerySelection selection)
    {
        int tile = Math.Min(geometry.PatchSizePx, MaxTilePx);
        int columns = Math.Max(1, selection.Highest.Count);
        var canvas = new Mat(2 * (tile + CaptionHeightPx), columns * (tile + GutterPx) - GutterPx, MatType.CV_8UC3, Scalar.White);
        try
        {
            using var reader = new PatchReader(slide, geometry);
            using var patch = new Mat();
            using var shown = new Mat();
            IReadOnlyList<int>[] rows = [selection.Highest, selection.Lowest];
            for (int row = 0; row < rows.Length; row++)
            {
                for (int column = 0; column < rows[row].Count; column++)
                {
                    int index = rows[row][column];
                    reader.Read(patches[index].Level0X, patches[index].Level0Y, patch);
                    Mat source = patch;
                    if (patch.Width != tile)
                    {
                        Cv2.Resize(patch, shown, new Size(tile, tile), interpolation: InterpolationFlags.Area);
                        source = shown;
                    }
                    Point origin = TileOrigin(row, column, tile);
                    using (Mat target = canvas[new Rect(origin.X, origin.Y, tile, tile)]) source.CopyTo(target);
                    Cv2.PutText(canvas, OverlayImage.Label(scores[index]), new Point(origin.X + 6, origin.Y + tile + CaptionHeightPx - 9),
                        HersheyFonts.HersheySimplex, FontScale, Scalar.Black, 1, LineTypes.AntiAlias);
                }
            }
            return canvas;
        }
        catch
        {
            canvas.Dispose();
            throw;
        }
    }
}
