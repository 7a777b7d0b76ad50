using OpenCvSharp;
using PathoFed.Mil.Experiments;
using PathoFed.Slides;
using PathoFed.Slides.Patching;

namespace PathoFed.Heatmaps.Viewer;

/// <summary>The patch under a level-0 point: its footprint, its own score, and the averaged cell value the overlay shows there.</summary>
internal sealed record PatchHit(int Index, long Level0X, long Level0Y, int Level0Size, float Score, float? CellScore);

/// <summary>
/// One slide's patch scores ready to draw: the same score field, normalisation and colours as <c>pathofed heatmap</c>
/// (<see cref="ScoreField"/>, <see cref="ScoreNormalization"/>, <see cref="ColouredField"/>), so the viewer's overlay and
/// the exported files agree. Read-only after construction; tiles render from several threads.
/// </summary>
internal sealed class SlideHeatmap
{
    private readonly PatchScoreTable.Content _scores;
    private readonly ScoreField _field;
    private readonly Lazy<ColouredField>[] _colours;

    private SlideHeatmap(PatchScoreTable.Content scores, ScoreField field, NormalizedField normalized)
    {
        _scores = scores;
        _field = field;
        Normalized = normalized;
        _colours = [.. Enum.GetValues<HeatmapColormap>().Select(map => new Lazy<ColouredField>(() => new ColouredField(normalized.Field, new HeatmapPalette(map))))];
    }

    public NormalizedField Normalized { get; }

    public string Model => _scores.Model;

    public string ScoreKind => _scores.ScoreKind;

    public int PatchCount => _scores.Patches.Length;

    /// <exception cref="HeatmapException">The table is unreadable or does not fit the slide (the message names both files).</exception>
    public static async Task<SlideHeatmap> LoadAsync(string scoresPath, ViewerSlide slide, SlideMetadata metadata,
        HeatmapNormalization normalization, CancellationToken cancellationToken)
    {
        PatchScoreTable.Content scores = await HeatmapInputs.ReadScoresAsync(scoresPath, cancellationToken).ConfigureAwait(false);
        HeatmapInputs.Validate(scores, metadata, slide.Path, scoresPath, slide.SlideId);
        var field = ScoreField.FromPatches(scores.Patches, scores.Scores, scores.Geometry.Level0PatchSize, scores.Geometry.Level0Stride,
            metadata.Level0Width, metadata.Level0Height);
        return new SlideHeatmap(scores, field, ScoreNormalization.Normalize(field, normalization));
    }

    /// <summary>A Deep Zoom tile of the overlay as PNG: colours where there is data, fully transparent elsewhere.</summary>
    public byte[] RenderTilePng(DeepZoomTile tile, HeatmapColormap colormap)
    {
        ColouredField colours = _colours[(int)colormap].Value;
        using var bgr = new Mat();
        using var mask = new Mat();
        colours.Sample(tile.Level0Left, tile.Level0Top, tile.Level0PerPx, tile.Level0PerPx, tile.WidthPx, tile.HeightPx, Scalar.All(0), bgr, mask);
        using var bgra = new Mat();
        Cv2.CvtColor(bgr, bgra, ColorConversionCodes.BGR2BGRA);
        Cv2.InsertChannel(mask, bgra, 3);
        return TileEncoding.Encode(".png", bgra);
    }

    /// <summary>
    /// The patch containing the level-0 point, or null. Overlapping patches may all contain it: the one whose centre is
    /// nearest wins, which is the patch a pathologist would say they clicked.
    /// </summary>
    public PatchHit? PatchAt(double level0X, double level0Y)
    {
        int size = _scores.Geometry.Level0PatchSize;
        int best = -1;
        double bestDistance = double.MaxValue;
        PatchCoordinate[] patches = _scores.Patches;
        for (int i = 0; i < patches.Length; i++)
        {
            double dx = level0X - patches[i].Level0X, dy = level0Y - patches[i].Level0Y;
            if (dx < 0 || dy < 0 || dx >= size || dy >= size) continue;
            double distance = Math.Abs(dx - size / 2.0) + Math.Abs(dy - size / 2.0);
            if (distance < bestDistance) (best, bestDistance) = (i, distance);
        }
        if (best < 0) return null;
        int column = (int)(level0X / _field.Level0CellSize), row = (int)(level0Y / _field.Level0CellSize);
        float? cell = column < _field.Columns && row < _field.Rows && _field.HasData(column, row) ? _field[column, row] : null;
        return new PatchHit(best, patches[best].Level0X, patches[best].Level0Y, size, _scores.Scores[best], cell);
    }
}
