using BitMiracle.LibTiff.Classic;
using OpenCvSharp;

namespace PathoFed.Slides.Writing;

/// <summary>
/// Writes tiled, JPEG-compressed pyramidal TIFFs that OpenSlide opens: tiles rendered in parallel a band of rows at a
/// time, JPEG-encoded by OpenCV (libjpeg-turbo) and stored with <see cref="Tiff.WriteRawTile(int, byte[], int)"/>, so
/// LibTiff.NET's slow managed codec never runs and no level is ever held whole in memory. The file appears
/// atomically (temporary sibling, flushed, renamed).
/// </summary>
/// <remarks>
/// Colour tags: OpenCV writes baseline JFIF, i.e. YCbCr with 4:2:0 chroma subsampling (pinned below rather than left to
/// OpenCV's default). The directories therefore say Photometric = YCbCr and YCbCrSubsampling = 2,2, as TIFF requires
/// for such data: OpenSlide 3.4.1 decodes through libtiff's TIFFRGBAImage, which for JPEG + YCbCr has libjpeg convert
/// to RGB. With Photometric = RGB (tried) libtiff skips that conversion and OpenSlide returns the YCbCr values as RGB:
/// glass came back as (238, 130, 129). No JPEGTables tag is written: each tile carries its own tables, and LibTiff.NET
/// only builds tables when its own encoder runs, which raw writes never start.
/// </remarks>
public sealed class PyramidalTiffWriter
{
    /// <summary>
    /// Above this many level-0 pixels a file should be BigTIFF: classic TIFF offsets stop at 4 GiB, which JPEG at high
    /// quality on noisy content can approach from about 1.5 Gpx. OpenSlide 3.4.1 reads both.
    /// </summary>
    public const long BigTiffThresholdPx = 1_500_000_000;

    // OpenCV's IMWRITE_JPEG_SAMPLING_FACTOR (= 7; OpenCvSharp has no enum member for it) and its 4:2:0 value.
    private const int JpegSamplingFactorFlag = 7;
    private const int JpegSampling420 = 0x221111;
    private const int ChromaSubsampling = 2;

    // A band holds at least this many tiles, so the parallel loop has work for every core even on narrow levels,
    // while the encoded band stays a few MB.
    private const int MinTilesPerBand = 64;

    private const int LzwRowsPerStrip = 16;

    private readonly Tiff _tiff;
    private readonly string _path;
    private readonly string _software;
    private readonly int[] _jpegParameters;

    private PyramidalTiffWriter(Tiff tiff, string path, string software, int jpegQuality)
    {
        _tiff = tiff;
        _path = path;
        _software = software;
        _jpegParameters = [(int)ImwriteFlags.JpegQuality, jpegQuality, JpegSamplingFactorFlag, JpegSampling420];
    }

    /// <summary>Whether a level 0 of this size needs BigTIFF (see <see cref="BigTiffThresholdPx"/>).</summary>
    public static bool NeedsBigTiff(long width, long height) => width * height > BigTiffThresholdPx;

    /// <summary>
    /// Creates <paramref name="path"/> atomically: <paramref name="write"/> adds the directories in order; the file
    /// appears complete once it returns, and nothing is left behind when it throws.
    /// </summary>
    /// <param name="software">The Software tag of every directory.</param>
    /// <param name="jpegQuality">JPEG quality of the tiles, 1-100.</param>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void WriteAtomically(string path, bool bigTiff, string software, int jpegQuality, Action<PyramidalTiffWriter> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(jpegQuality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(jpegQuality, 100);
        ArgumentNullException.ThrowIfNull(write);
        string temp = AtomicFile.TempPathFor(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20))
            {
                using (Tiff tiff = Tiff.ClientOpen(temp, bigTiff ? "w8" : "w4", stream, new KeepOpenTiffStream())
                    ?? throw new IOException($"LibTiff.NET could not start a TIFF in '{temp}'"))
                {
                    write(new PyramidalTiffWriter(tiff, path, software, jpegQuality));
                }
                // Durable before the rename, so a crash never leaves a complete-looking name over a torn file.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>
    /// Writes one tiled JPEG level as the next directory, rendering its tiles in parallel with renderers from
    /// <paramref name="createRenderer"/> (one per worker thread), a band of tile rows at a time.
    /// </summary>
    /// <param name="reduced">False for level 0, true for the smaller levels (SubfileType = reduced image).</param>
    /// <param name="levelMpp">µm per pixel of this level for the resolution tags; null writes none.</param>
    /// <param name="tilesWritten">Told the number of tiles after each band, e.g. for progress.</param>
    public void WriteTiledLevel(PyramidLevel level, bool reduced, int tileSizePx, double? levelMpp, string description,
        Func<IPyramidTileRenderer> createRenderer, Action<int>? tilesWritten, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(level);
        ArgumentNullException.ThrowIfNull(createRenderer);
        if (tileSizePx < 16 || tileSizePx % 16 != 0) throw new ArgumentOutOfRangeException(nameof(tileSizePx), tileSizePx, "TIFF tiles must be a positive multiple of 16 px");
        int across = TileCount(level.Width, tileSizePx);
        int down = TileCount(level.Height, tileSizePx);

        SetImageTags(level.Width, level.Height, Compression.JPEG, Photometric.YCBCR, reduced, description);
        Check(_tiff.SetField(TiffTag.TILEWIDTH, tileSizePx), "TileWidth");
        Check(_tiff.SetField(TiffTag.TILELENGTH, tileSizePx), "TileLength");
        Check(_tiff.SetField(TiffTag.YCBCRSUBSAMPLING, ChromaSubsampling, ChromaSubsampling), "YCbCrSubsampling");
        if (levelMpp is { } mpp) SetResolution(mpp);

        int rowsPerBand = Math.Max(1, (MinTilesPerBand + across - 1) / across);
        var encoded = new byte[rowsPerBand * across][];
        var pool = new Stack<TileWorker>();
        try
        {
            var options = new ParallelOptions { CancellationToken = cancellationToken };
            for (int firstRow = 0; firstRow < down; firstRow += rowsPerBand)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int rows = Math.Min(rowsPerBand, down - firstRow);
                int tiles = rows * across;
                Parallel.For(0, tiles, options, () => Rent(pool, createRenderer), (index, _, worker) =>
                {
                    long x = (long)(index % across) * tileSizePx;
                    long y = (long)(firstRow + index / across) * tileSizePx;
                    worker.Renderer.Render(level, x, y, tileSizePx, worker.Tile);
                    encoded[index] = EncodeJpeg(worker.Tile, $"tile {firstRow * across + index} of a {level.Width} x {level.Height} level");
                    return worker;
                }, worker => Return(pool, worker));

                // Tiles go to the file in order, so the same input always yields the same bytes.
                for (int index = 0; index < tiles; index++)
                {
                    int tile = firstRow * across + index;
                    if (_tiff.WriteRawTile(tile, encoded[index], encoded[index].Length) < 0)
                    {
                        throw new IOException($"LibTiff.NET could not write tile {tile} of a {level.Width} x {level.Height} level to '{_path}' (a classic TIFF stops at 4 GiB)");
                    }
                    encoded[index] = null!;
                }
                tilesWritten?.Invoke(tiles);
            }
        }
        finally
        {
            foreach (TileWorker worker in pool) worker.Dispose();
        }
        Check(_tiff.WriteDirectory(), $"the directory of a {level.Width} x {level.Height} level");
    }

    /// <summary>An associated image (thumbnail, macro) as one JPEG strip, the way Aperio stores them.</summary>
    public void WriteStrippedJpeg(Mat bgr, string description)
    {
        ArgumentNullException.ThrowIfNull(bgr);
        SetImageTags(bgr.Width, bgr.Height, Compression.JPEG, Photometric.YCBCR, reduced: true, description);
        Check(_tiff.SetField(TiffTag.YCBCRSUBSAMPLING, ChromaSubsampling, ChromaSubsampling), "YCbCrSubsampling");
        // One strip holding the whole image, so the JPEG stream's size matches the strip libtiff expects.
        Check(_tiff.SetField(TiffTag.ROWSPERSTRIP, bgr.Height), "RowsPerStrip");
        byte[] jpeg = EncodeJpeg(bgr, $"the associated image '{description}'");
        if (_tiff.WriteRawStrip(0, jpeg, jpeg.Length) < 0) throw new IOException($"LibTiff.NET could not write the associated image '{description}' to '{_path}'");
        Check(_tiff.WriteDirectory(), "an associated image directory");
    }

    /// <summary>An associated image LZW-compressed (Aperio's label), keeping printed text crisp.</summary>
    public void WriteStrippedLzw(Mat bgr, string description)
    {
        ArgumentNullException.ThrowIfNull(bgr);
        SetImageTags(bgr.Width, bgr.Height, Compression.LZW, Photometric.RGB, reduced: true, description);
        Check(_tiff.SetField(TiffTag.ROWSPERSTRIP, LzwRowsPerStrip), "RowsPerStrip");
        using var rgb = new Mat();
        Cv2.CvtColor(bgr, rgb, ColorConversionCodes.BGR2RGB);
        int height = rgb.Height;
        var row = new byte[rgb.Width * 3];
        for (int y = 0; y < height; y++)
        {
            System.Runtime.InteropServices.Marshal.Copy(rgb.Ptr(y), row, 0, row.Length);
            if (!_tiff.WriteScanline(row, y)) throw new IOException($"LibTiff.NET could not write row {y} of '{description}' to '{_path}'");
        }
        Check(_tiff.WriteDirectory(), "an associated image directory");
    }

    private byte[] EncodeJpeg(Mat bgr, string what) =>
        Cv2.ImEncode(".jpg", bgr, out byte[] jpeg, _jpegParameters)
            ? jpeg
            : throw new InvalidOperationException($"OpenCV could not JPEG-encode {what} for '{_path}'");

    private void SetImageTags(long width, long height, Compression compression, Photometric photometric, bool reduced, string description)
    {
        Check(_tiff.SetField(TiffTag.IMAGEWIDTH, checked((int)width)), "ImageWidth");
        Check(_tiff.SetField(TiffTag.IMAGELENGTH, checked((int)height)), "ImageLength");
        Check(_tiff.SetField(TiffTag.BITSPERSAMPLE, 8), "BitsPerSample");
        Check(_tiff.SetField(TiffTag.SAMPLESPERPIXEL, 3), "SamplesPerPixel");
        Check(_tiff.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG), "PlanarConfiguration");
        Check(_tiff.SetField(TiffTag.COMPRESSION, compression), "Compression");
        Check(_tiff.SetField(TiffTag.PHOTOMETRIC, photometric), "Photometric");
        Check(_tiff.SetField(TiffTag.SOFTWARE, _software), "Software");
        Check(_tiff.SetField(TiffTag.SUBFILETYPE, reduced ? FileType.REDUCEDIMAGE : 0), "SubfileType");
        Check(_tiff.SetField(TiffTag.IMAGEDESCRIPTION, description), "ImageDescription");
    }

    /// <summary>Pixels per centimetre, the unit PathoFed's reader and OpenSlide's generic-tiff properties turn into µm/px.</summary>
    private void SetResolution(double mpp)
    {
        double pixelsPerCm = 10_000 / mpp;
        Check(_tiff.SetField(TiffTag.XRESOLUTION, pixelsPerCm), "XResolution");
        Check(_tiff.SetField(TiffTag.YRESOLUTION, pixelsPerCm), "YResolution");
        Check(_tiff.SetField(TiffTag.RESOLUTIONUNIT, ResUnit.CENTIMETER), "ResolutionUnit");
    }

    private static int TileCount(long size, int tileSize) => checked((int)((size + tileSize - 1) / tileSize));

    private void Check(bool ok, string what)
    {
        if (!ok) throw new IOException($"LibTiff.NET rejected {what} while writing '{_path}'");
    }

    private static TileWorker Rent(Stack<TileWorker> pool, Func<IPyramidTileRenderer> createRenderer)
    {
        lock (pool)
        {
            if (pool.Count > 0) return pool.Pop();
        }
        return new TileWorker(createRenderer());
    }

    private static void Return(Stack<TileWorker> pool, TileWorker worker)
    {
        lock (pool) pool.Push(worker);
    }

    /// <summary>Leaves the FileStream open when LibTiff.NET closes, so it can be flushed to disk before the rename.</summary>
    private sealed class KeepOpenTiffStream : TiffStream
    {
        public override void Close(object clientData) => ((Stream)clientData).Flush();
    }

    private sealed class TileWorker(IPyramidTileRenderer renderer) : IDisposable
    {
        public IPyramidTileRenderer Renderer { get; } = renderer;
        public Mat Tile { get; } = new();

        public void Dispose()
        {
            Tile.Dispose();
            Renderer.Dispose();
        }
    }
}
