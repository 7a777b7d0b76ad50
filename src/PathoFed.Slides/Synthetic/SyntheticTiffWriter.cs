using System.Globalization;
using OpenCvSharp;
using PathoFed.Slides.Writing;

namespace PathoFed.Slides.Synthetic;

/// <summary>
/// Writes the synthetic pyramid TIFF through <see cref="PyramidalTiffWriter"/>, adding what makes it look like a
/// scanner's file: Aperio descriptions, the thumbnail, label and macro images.
/// </summary>
internal static class SyntheticTiffWriter
{
    private const string AperioLibrary = "Aperio Image Library v12.0.15";
    private const string Software = "PathoFed synthetic slide writer";

    public static void Write(string path, SyntheticSlideSpec spec, IProgress<double>? progress, CancellationToken cancellationToken, bool? bigTiff)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        SyntheticSpecValidator.Validate(spec);
        cancellationToken.ThrowIfCancellationRequested();

        List<PyramidLevel> levels = SyntheticPyramid.Levels(spec.Width, spec.Height);
        bool useBigTiff = bigTiff ?? SyntheticPyramid.NeedsBigTiff(spec.Width, spec.Height);
        var job = new Job(spec, new SyntheticSceneRenderer(spec), levels, progress, cancellationToken);
        PyramidalTiffWriter.WriteAtomically(path, useBigTiff, Software, spec.JpegQuality, writer => WriteAll(writer, job));
        progress?.Report(1);
    }

    private sealed class Job(SyntheticSlideSpec spec, SyntheticSceneRenderer renderer, List<PyramidLevel> levels, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        public SyntheticSlideSpec Spec { get; } = spec;
        public SyntheticSceneRenderer Renderer { get; } = renderer;
        public List<PyramidLevel> Levels { get; } = levels;
        public CancellationToken CancellationToken { get; } = cancellationToken;
        private readonly double _totalTiles = levels.Sum(l => Math.Ceiling((double)l.Width / spec.TileSizePx) * Math.Ceiling((double)l.Height / spec.TileSizePx));
        private long _doneTiles;

        public void TilesDone(int count)
        {
            _doneTiles += count;
            // The last percent is the rename; report 1 only once the file is in place.
            progress?.Report(Math.Min(0.99, _doneTiles / _totalTiles));
        }
    }

    /// <summary>
    /// Aperio order (OpenSlide's aperio driver): level 0, then the stripped thumbnail, the other levels, then the
    /// stripped label and macro named by the second line of their descriptions. Generic TIFF: the levels only.
    /// </summary>
    private static void WriteAll(PyramidalTiffWriter writer, Job job)
    {
        SyntheticSlideSpec spec = job.Spec;
        bool aperio = spec.Flavor == SyntheticSlideFlavor.Aperio;
        for (int index = 0; index < job.Levels.Count; index++)
        {
            PyramidLevel level = job.Levels[index];
            string description = aperio
                ? index == 0 ? AperioMainDescription(spec) : AperioLevelDescription(spec, level.Width, level.Height)
                : string.Create(CultureInfo.InvariantCulture, $"PathoFed synthetic slide, seed {spec.Seed}, level {index}");
            writer.WriteTiledLevel(level, reduced: index > 0, spec.TileSizePx, spec.Mpp * level.Downsample, description,
                () => new SceneTileRenderer(job.Renderer), job.TilesDone, job.CancellationToken);
            if (index == 0 && aperio)
            {
                using Mat thumbnail = SyntheticAssociatedImages.RenderThumbnail(spec, job.Renderer);
                writer.WriteStrippedJpeg(thumbnail, AperioLevelDescription(spec, thumbnail.Width, thumbnail.Height));
            }
        }
        if (!aperio) return;

        using (Mat label = SyntheticAssociatedImages.RenderLabel(spec))
        {
            writer.WriteStrippedLzw(label, $"{AperioLibrary}\nlabel {label.Width}x{label.Height}");
        }
        using (Mat macro = SyntheticAssociatedImages.RenderMacro(spec, job.Renderer))
        {
            writer.WriteStrippedJpeg(macro, $"{AperioLibrary}\nmacro {macro.Width}x{macro.Height}");
        }
    }

    /// <summary>
    /// The description OpenSlide's aperio driver parses: it must start with "Aperio"; fields after the first '|' are
    /// "name = value" pairs. AppMag becomes openslide.objective-power only when it is an integer.
    /// </summary>
    private static string AperioMainDescription(SyntheticSlideSpec spec) => string.Create(CultureInfo.InvariantCulture,
        $"{AperioLibrary} \r\n{spec.Width}x{spec.Height} [0,0 {spec.Width}x{spec.Height}] ({spec.TileSizePx}x{spec.TileSizePx}) JPEG/RGB Q={spec.JpegQuality}" +
        $"|AppMag = {spec.ObjectivePower:R}|MPP = {spec.Mpp:R}|Title = PathoFed synthetic slide|Seed = {spec.Seed}" +
        $"|OriginalWidth = {spec.Width}|OriginalHeight = {spec.Height}");

    private static string AperioLevelDescription(SyntheticSlideSpec spec, long width, long height) => string.Create(CultureInfo.InvariantCulture,
        $"{AperioLibrary} \r\n{spec.Width}x{spec.Height} [0,0 {spec.Width}x{spec.Height}] ({spec.TileSizePx}x{spec.TileSizePx}) -> {width}x{height} JPEG/RGB Q={spec.JpegQuality}");

    /// <summary>One worker thread's view of the scene: the shared immutable renderer plus that thread's scratch.</summary>
    private sealed class SceneTileRenderer(SyntheticSceneRenderer scene) : IPyramidTileRenderer
    {
        private readonly SyntheticRenderScratch _scratch = new();

        public void Render(PyramidLevel level, long levelX, long levelY, int tileSizePx, Mat destination) =>
            scene.Render(level.Downsample, levelX, levelY, tileSizePx, tileSizePx, destination, _scratch);

        public void Dispose() => _scratch.Dispose();
    }
}
