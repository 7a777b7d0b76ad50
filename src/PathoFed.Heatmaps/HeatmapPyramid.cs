using System.Globalization;
using OpenCvSharp;
using PathoFed.Slides;
using PathoFed.Slides.Writing;

namespace PathoFed.Heatmaps;

/// <summary>
/// <c>heatmap.tif</c>: the coloured field at the slide's full size as a tiled JPEG pyramid (generic TIFF with
/// resolution tags), so viewers and OpenSlide line it up pixel for pixel with the slide. Tiles are drawn from the
/// cell grid as they are written, a band of rows at a time: memory does not grow with the slide.
/// </summary>
internal static class HeatmapPyramid
{
    public const string FileName = "heatmap.tif";

    /// <summary>Pixels without data: white, like the glass and the area beyond a slide in OpenSlide.</summary>
    public static readonly Scalar NoDataColour = Scalar.White;

    private const string Software = "PathoFed heatmap writer";

    public static void Write(string path, SlideMetadata slide, ColouredField field, string slideId, string model, string scoreKind,
        int tileSizePx, int jpegQuality, CancellationToken cancellationToken)
    {
        List<PyramidLevel> levels = PyramidLevel.Layout(slide.Level0Width, slide.Level0Height);
        bool bigTiff = PyramidalTiffWriter.NeedsBigTiff(slide.Level0Width, slide.Level0Height);
        PyramidalTiffWriter.WriteAtomically(path, bigTiff, Software, jpegQuality, writer =>
        {
            for (int index = 0; index < levels.Count; index++)
            {
                PyramidLevel level = levels[index];
                string description = string.Create(CultureInfo.InvariantCulture,
                    $"PathoFed heatmap of slide {slideId}, model {model}, {scoreKind}, level {index}");
                writer.WriteTiledLevel(level, reduced: index > 0, tileSizePx, slide.Mpp * level.Downsample, description,
                    () => new FieldTileRenderer(field), tilesWritten: null, cancellationToken);
            }
        });
    }

    private sealed class FieldTileRenderer(ColouredField field) : IPyramidTileRenderer
    {
        public void Render(PyramidLevel level, long levelX, long levelY, int tileSizePx, Mat destination) =>
            field.Sample(levelX * level.Downsample, levelY * level.Downsample, level.Downsample, level.Downsample,
                tileSizePx, tileSizePx, NoDataColour, destination);

        public void Dispose() { }
    }
}
