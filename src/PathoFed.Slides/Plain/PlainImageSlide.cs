using BitMiracle.LibTiff.Classic;
using OpenCvSharp;

namespace PathoFed.Slides.Plain;

/// <summary>
/// A small field of view stored as an ordinary image (PNG, JPEG, BMP, strip TIFF): one level, decoded once into
/// memory. Whole slides belong in pyramidal formats, so images above <see cref="MaxPixels"/> are refused.
/// </summary>
public sealed class PlainImageSlide : SlideBase
{
    public const long MaxPixels = 100_000_000;

    internal static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"];

    private readonly Mat _pixels;

    private PlainImageSlide(string path, Mat pixels, SlideMetadata metadata) : base(path, metadata) => _pixels = pixels;

    internal static bool HasPlainImageExtension(string path) =>
        Extensions.Contains(System.IO.Path.GetExtension(path).ToLowerInvariant());

    internal static PlainImageSlide Open(string path)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["pathofed.format"] = System.IO.Path.GetExtension(path).TrimStart('.').ToLowerInvariant(),
        };
        if (path.EndsWith(".tif", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tiff", StringComparison.OrdinalIgnoreCase))
        {
            TiffTags.ReadResolution(path, properties);
        }

        Mat pixels;
        try
        {
            pixels = Cv2.ImRead(path, ImreadModes.Color);
        }
        catch (OpenCVException e)
        {
            SlideThrow.Open(path, $"the image cannot be decoded ({e.Message})", e);
            throw; // unreachable
        }
        if (pixels.Empty())
        {
            pixels.Dispose();
            SlideThrow.Open(path, "OpenSlide does not recognise it and OpenCV cannot decode it as an image (corrupt, truncated or an unsupported encoding)");
        }
        if ((long)pixels.Width * pixels.Height > MaxPixels)
        {
            long width = pixels.Width, height = pixels.Height;
            pixels.Dispose();
            SlideThrow.Open(path, $"a plain image of {width} x {height} px is too large to hold in memory; convert it to a pyramidal TIFF (e.g. vips tiffsave --tile --pyramid)");
        }

        var (mppX, mppY, mppSource) = SlideResolution.Resolve(properties);
        var metadata = new SlideMetadata(
            Vendor: "plain-image",
            Levels: [new SlideLevel(pixels.Width, pixels.Height, 1)],
            MppX: mppX,
            MppY: mppY,
            ObjectivePower: null,
            Properties: properties,
            AssociatedImages: [],
            MppSource: mppSource);
        return new PlainImageSlide(path, pixels, metadata);
    }

    protected override void ReadRegionCore(long level0X, long level0Y, int level, int widthPx, int heightPx, Mat destination)
    {
        destination.SetTo(Scalar.White);
        var region = new Rect((int)Math.Clamp(level0X, int.MinValue, int.MaxValue), (int)Math.Clamp(level0Y, int.MinValue, int.MaxValue), widthPx, heightPx);
        Rect inside = region & new Rect(0, 0, _pixels.Width, _pixels.Height);
        if (inside.Width <= 0 || inside.Height <= 0) return;

        using Mat source = _pixels[inside];
        using Mat target = destination[new Rect(inside.X - region.X, inside.Y - region.Y, inside.Width, inside.Height)];
        source.CopyTo(target);
    }

    protected override Mat ReadAssociatedImageCore(string name) => throw new InvalidOperationException("plain images have no associated images");

    protected override void DisposeCore() => _pixels.Dispose();

    /// <summary>Reads TIFF resolution tags into OpenSlide-style property names so one resolver serves both backends.</summary>
    private static class TiffTags
    {
        public static void ReadResolution(string path, Dictionary<string, string> properties)
        {
            Tiff.SetErrorHandler(new SilentTiffErrorHandler());
            using Tiff? tiff = Tiff.Open(path, "r");
            if (tiff is null) return;
            AddFloat(tiff, TiffTag.XRESOLUTION, "tiff.XResolution", properties);
            AddFloat(tiff, TiffTag.YRESOLUTION, "tiff.YResolution", properties);
            FieldValue[]? unit = tiff.GetField(TiffTag.RESOLUTIONUNIT);
            if (unit is not null)
            {
                properties["tiff.ResolutionUnit"] = (ResUnit)unit[0].ToInt() switch
                {
                    ResUnit.CENTIMETER => "centimeter",
                    ResUnit.INCH => "inch",
                    _ => "none",
                };
            }
        }

        private static void AddFloat(Tiff tiff, TiffTag tag, string name, Dictionary<string, string> properties)
        {
            FieldValue[]? value = tiff.GetField(tag);
            if (value is not null)
            {
                properties[name] = value[0].ToDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }
}

/// <summary>LibTiff.NET prints warnings to the console by default; PathoFed reports problems through exceptions instead.</summary>
internal sealed class SilentTiffErrorHandler : TiffErrorHandler
{
    public override void WarningHandler(Tiff tif, string method, string format, params object[] args) { }

    public override void WarningHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args) { }

    public override void ErrorHandler(Tiff tif, string method, string format, params object[] args) { }

    public override void ErrorHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args) { }
}
