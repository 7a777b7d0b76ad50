using System.Globalization;
using BitMiracle.LibTiff.Classic;
using OpenCvSharp;

namespace PathoFed.Slides.Synthetic;

/// <summary>
/// Writes the pyramid TIFF: tiles rendered in parallel a band of rows at a time, JPEG-encoded by OpenCV
/// (libjpeg-turbo) and stored with <see cref="Tiff.WriteRawTile(int, byte[], int)"/>, so LibTiff.NET's slow managed
/// codec never runs and no level is ever held whole in memory.
/// </summary>
/// <remarks>
/// Colour tags: OpenCV writes baseline JFIF, i.e. YCbCr with 4:2:0 chroma subsampling (pinned below rather than left to
/// OpenCV's default). The directories therefore say Photometric = YCbCr and YCbCrSubsampling = 2,2, as TIFF requires
/// for such data: OpenSlide 3.4.1 decodes through libtiff's TIFFRGBAImage, which for JPEG + YCbCr has libjpeg convert
/// to RGB. With Photometric = RGB (tried) libtiff skips that conversion and OpenSlide returns the YCbCr values as RGB:
/// glass came back as (238, 130, 129). No JPEGTables tag is written: each tile carries its own tables, and LibTiff.NET
/// only builds tables when its own encoder runs, which raw writes never start.
/// </remarks>
internal static class SyntheticTiffWriter
{
    private const string AperioLibrary = "Aperio Image Library v12.0.15";
    private const string Software = "PathoFed synthetic slide writer";

    // OpenCV's IMWRITE_JPEG_SAMPLING_FACTOR (= 7; OpenCvSharp has no enum member for it) and its 4:2:0 value.
    private const int JpegSamplingFactorFlag = 7;
    private const int JpegSampling420 = 0x221111;
    private const int ChromaSubsampling = 2;

    // A band holds at least this many tiles, so the parallel loop has work for every core even on narrow levels,
    // while the encoded band stays a few MB.
    private const int MinTilesPerBand = 64;

    private const int LabelRowsPerStrip = 16;

    public static void Write(string path, SyntheticSlideSpec spec, IProgress<double>? progress, CancellationToken cancellationToken, bool? bigTiff)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        SyntheticSpecValidator.Validate(spec);
        cancellationToken.ThrowIfCancellationRequested();

        List<SyntheticLevel> levels = SyntheticPyramid.Levels(spec.Width, spec.Height);
        bool useBigTiff = bigTiff ?? SyntheticPyramid.NeedsBigTiff(spec.Width, spec.Height);
        var renderer = new SyntheticSceneRenderer(spec);
        var job = new Job(spec, renderer, levels, progress, cancellationToken);

        string temp = AtomicFile.TempPathFor(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20))
            {
                using (Tiff tiff = Tiff.ClientOpen(temp, useBigTiff ? "w8" : "w4", stream, new KeepOpenTiffStream())
                    ?? throw new IOException($"LibTiff.NET could not start a TIFF in '{temp}'"))
                {
                    WriteAll(tiff, job);
                }
                // Durable before the rename, so a crash never leaves a complete-looking name over a torn file.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            progress?.Report(1);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private sealed class Job(SyntheticSlideSpec spec, SyntheticSceneRenderer renderer, List<SyntheticLevel> levels, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        public SyntheticSlideSpec Spec { get; } = spec;
        public SyntheticSceneRenderer Renderer { get; } = renderer;
        public List<SyntheticLevel> Levels { get; } = levels;
        public CancellationToken CancellationToken { get; } = cancellationToken;
        public int[] JpegParameters { get; } = [(int)ImwriteFlags.JpegQuality, spec.JpegQuality, JpegSamplingFactorFlag, JpegSampling420];
        private readonly double _totalTiles = levels.Sum(l => (double)TileCount(l.Width, spec.TileSizePx) * TileCount(l.Height, spec.TileSizePx));
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
    private static void WriteAll(Tiff tiff, Job job)
    {
        SyntheticSlideSpec spec = job.Spec;
        bool aperio = spec.Flavor == SyntheticSlideFlavor.Aperio;
        for (int level = 0; level < job.Levels.Count; level++)
        {
            WriteLevel(tiff, job, level);
            if (level == 0 && aperio)
            {
                using Mat thumbnail = SyntheticAssociatedImages.RenderThumbnail(spec, job.Renderer);
                WriteStrippedJpeg(tiff, job, thumbnail, AperioLevelDescription(spec, thumbnail.Width, thumbnail.Height));
            }
        }
        if (!aperio) return;

        using (Mat label = SyntheticAssociatedImages.RenderLabel(spec))
        {
            WriteStrippedLzw(tiff, label, $"{AperioLibrary}\nlabel {label.Width}x{label.Height}");
        }
        using (Mat macro = SyntheticAssociatedImages.RenderMacro(spec, job.Renderer))
        {
            WriteStrippedJpeg(tiff, job, macro, $"{AperioLibrary}\nmacro {macro.Width}x{macro.Height}");
        }
    }

    private static void WriteLevel(Tiff tiff, Job job, int levelIndex)
    {
        SyntheticSlideSpec spec = job.Spec;
        SyntheticLevel level = job.Levels[levelIndex];
        int tileSize = spec.TileSizePx;
        int across = TileCount(level.Width, tileSize);
        int down = TileCount(level.Height, tileSize);

        SetImageTags(tiff, level.Width, level.Height, Compression.JPEG, Photometric.YCBCR);
        Check(tiff.SetField(TiffTag.SUBFILETYPE, levelIndex == 0 ? 0 : FileType.REDUCEDIMAGE), "SubfileType");
        Check(tiff.SetField(TiffTag.TILEWIDTH, tileSize), "TileWidth");
        Check(tiff.SetField(TiffTag.TILELENGTH, tileSize), "TileLength");
        Check(tiff.SetField(TiffTag.YCBCRSUBSAMPLING, ChromaSubsampling, ChromaSubsampling), "YCbCrSubsampling");
        SetResolution(tiff, spec.Mpp * level.Downsample);
        string description = spec.Flavor == SyntheticSlideFlavor.Aperio
            ? levelIndex == 0 ? AperioMainDescription(spec) : AperioLevelDescription(spec, level.Width, level.Height)
            : string.Create(CultureInfo.InvariantCulture, $"PathoFed synthetic slide, seed {spec.Seed}, level {levelIndex}");
        Check(tiff.SetField(TiffTag.IMAGEDESCRIPTION, description), "ImageDescription");

        int rowsPerBand = Math.Max(1, (MinTilesPerBand + across - 1) / across);
        var encoded = new byte[rowsPerBand * across][];
        var scratchPool = new Stack<TileScratch>();
        try
        {
            var options = new ParallelOptions { CancellationToken = job.CancellationToken };
            for (int firstRow = 0; firstRow < down; firstRow += rowsPerBand)
            {
                job.CancellationToken.ThrowIfCancellationRequested();
                int rows = Math.Min(rowsPerBand, down - firstRow);
                int tiles = rows * across;
                Parallel.For(0, tiles, options, () => Rent(scratchPool), (index, _, scratch) =>
                {
                    long x = (long)(index % across) * tileSize;
                    long y = (long)(firstRow + index / across) * tileSize;
                    job.Renderer.Render(level.Downsample, x, y, tileSize, tileSize, scratch.Tile, scratch.Render);
                    if (!Cv2.ImEncode(".jpg", scratch.Tile, out byte[] jpeg, job.JpegParameters))
                    {
                        throw new InvalidOperationException($"OpenCV could not JPEG-encode tile {index} of level {levelIndex}");
                    }
                    encoded[index] = jpeg;
                    return scratch;
                }, scratch => Return(scratchPool, scratch));

                // Tiles go to the file in order, so the same spec always yields the same bytes.
                for (int index = 0; index < tiles; index++)
                {
                    int tile = firstRow * across + index;
                    if (tiff.WriteRawTile(tile, encoded[index], encoded[index].Length) < 0)
                    {
                        throw new IOException($"LibTiff.NET could not write tile {tile} of level {levelIndex} (a classic TIFF stops at 4 GiB)");
                    }
                    encoded[index] = null!;
                }
                job.TilesDone(tiles);
            }
        }
        finally
        {
            foreach (TileScratch scratch in scratchPool) scratch.Dispose();
        }
        Check(tiff.WriteDirectory(), $"the directory of level {levelIndex}");
    }

    /// <summary>Thumbnail and macro as one JPEG strip, the way Aperio stores them.</summary>
    private static void WriteStrippedJpeg(Tiff tiff, Job job, Mat image, string description)
    {
        SetImageTags(tiff, image.Width, image.Height, Compression.JPEG, Photometric.YCBCR);
        Check(tiff.SetField(TiffTag.SUBFILETYPE, FileType.REDUCEDIMAGE), "SubfileType");
        Check(tiff.SetField(TiffTag.YCBCRSUBSAMPLING, ChromaSubsampling, ChromaSubsampling), "YCbCrSubsampling");
        // One strip holding the whole image, so the JPEG stream's size matches the strip libtiff expects.
        Check(tiff.SetField(TiffTag.ROWSPERSTRIP, image.Height), "RowsPerStrip");
        Check(tiff.SetField(TiffTag.IMAGEDESCRIPTION, description), "ImageDescription");
        if (!Cv2.ImEncode(".jpg", image, out byte[] jpeg, job.JpegParameters))
        {
            throw new InvalidOperationException($"OpenCV could not JPEG-encode the associated image '{description}'");
        }
        if (tiff.WriteRawStrip(0, jpeg, jpeg.Length) < 0) throw new IOException($"LibTiff.NET could not write the associated image '{description}'");
        Check(tiff.WriteDirectory(), "an associated image directory");
    }

    /// <summary>The label, LZW-compressed like Aperio's, keeping the printed text crisp.</summary>
    private static void WriteStrippedLzw(Tiff tiff, Mat bgr, string description)
    {
        SetImageTags(tiff, bgr.Width, bgr.Height, Compression.LZW, Photometric.RGB);
        Check(tiff.SetField(TiffTag.SUBFILETYPE, FileType.REDUCEDIMAGE), "SubfileType");
        Check(tiff.SetField(TiffTag.ROWSPERSTRIP, LabelRowsPerStrip), "RowsPerStrip");
        Check(tiff.SetField(TiffTag.IMAGEDESCRIPTION, description), "ImageDescription");
        using var rgb = new Mat();
        Cv2.CvtColor(bgr, rgb, ColorConversionCodes.BGR2RGB);
        int height = rgb.Height;
        var row = new byte[rgb.Width * 3];
        for (int y = 0; y < height; y++)
        {
            System.Runtime.InteropServices.Marshal.Copy(rgb.Ptr(y), row, 0, row.Length);
            if (!tiff.WriteScanline(row, y)) throw new IOException($"LibTiff.NET could not write row {y} of '{description}'");
        }
        Check(tiff.WriteDirectory(), "the label directory");
    }

    private static void SetImageTags(Tiff tiff, long width, long height, Compression compression, Photometric photometric)
    {
        Check(tiff.SetField(TiffTag.IMAGEWIDTH, checked((int)width)), "ImageWidth");
        Check(tiff.SetField(TiffTag.IMAGELENGTH, checked((int)height)), "ImageLength");
        Check(tiff.SetField(TiffTag.BITSPERSAMPLE, 8), "BitsPerSample");
        Check(tiff.SetField(TiffTag.SAMPLESPERPIXEL, 3), "SamplesPerPixel");
        Check(tiff.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG), "PlanarConfiguration");
        Check(tiff.SetField(TiffTag.COMPRESSION, compression), "Compression");
        Check(tiff.SetField(TiffTag.PHOTOMETRIC, photometric), "Photometric");
        Check(tiff.SetField(TiffTag.SOFTWARE, Software), "Software");
    }

    /// <summary>Pixels per centimetre, the unit our reader and OpenSlide's generic-tiff properties turn into µm/px.</summary>
    private static void SetResolution(Tiff tiff, double mpp)
    {
        double pixelsPerCm = 10_000 / mpp;
        Check(tiff.SetField(TiffTag.XRESOLUTION, pixelsPerCm), "XResolution");
        Check(tiff.SetField(TiffTag.YRESOLUTION, pixelsPerCm), "YResolution");
        Check(tiff.SetField(TiffTag.RESOLUTIONUNIT, ResUnit.CENTIMETER), "ResolutionUnit");
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

    private static int TileCount(long size, int tileSize) => checked((int)((size + tileSize - 1) / tileSize));

    private static void Check(bool ok, string what)
    {
        if (!ok) throw new IOException($"LibTiff.NET rejected {what} while writing a synthetic slide");
    }

    private static TileScratch Rent(Stack<TileScratch> pool)
    {
        lock (pool) return pool.Count > 0 ? pool.Pop() : new TileScratch();
    }

    private static void Return(Stack<TileScratch> pool, TileScratch scratch)
    {
        lock (pool) pool.Push(scratch);
    }

    /// <summary>Leaves the FileStream open when LibTiff.NET closes, so it can be flushed to disk before the rename.</summary>
    private sealed class KeepOpenTiffStream : TiffStream
    {
        public override void Close(object clientData) => ((Stream)clientData).Flush();
    }

    private sealed class TileScratch : IDisposable
    {
        public Mat Tile { get; } = new();
        public SyntheticRenderScratch Render { get; } = new();

        public void Dispose()
        {
            Tile.Dispose();
            Render.Dispose();
        }
    }
}
