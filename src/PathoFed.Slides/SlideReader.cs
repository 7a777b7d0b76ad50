using PathoFed.Slides.OpenSlide;
using PathoFed.Slides.Plain;

namespace PathoFed.Slides;

/// <summary>Options for opening a slide.</summary>
/// <param name="MppOverride">µm/px to use instead of the slide's own (e.g. a manifest's mpp column).</param>
/// <param name="MppFallback">µm/px to use only when the slide records none (e.g. --slide-mpp).</param>
public sealed record SlideOpenOptions(double? MppOverride = null, double? MppFallback = null)
{
    public static SlideOpenOptions Default { get; } = new();
}

/// <summary>
/// The one way to open a slide: validates the file, picks the reader (OpenSlide for every format it recognises,
/// then plain images), and turns every failure into a <see cref="SlideOpenException"/> naming the file and cause.
/// </summary>
public static class SlideReader
{
    /// <exception cref="SlideOpenException">The file is missing, empty, of an unsupported format, or rejected by its reader.</exception>
    public static ISlide Open(string path, SlideOpenOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= SlideOpenOptions.Default;
        foreach (double? given in new[] { options.MppOverride, options.MppFallback })
        {
            if (given is { } mpp && !SlideResolution.IsPlausibleMpp(mpp))
            {
                throw new ArgumentOutOfRangeException(nameof(options), mpp,
                    $"µm/px {mpp} given for '{path}' is outside {SlideResolution.MinPlausibleMpp}-{SlideResolution.MaxPlausibleMpp}");
            }
        }

        ValidateFile(path);
        SlideBase slide = OpenWithBackend(path);
        double? userMpp = options.MppOverride ?? (slide.Metadata.Mpp is null ? options.MppFallback : null);
        if (userMpp is { } mppToUse) slide.OverrideMpp(mppToUse);
        return slide;
    }

    private static void ValidateFile(string path)
    {
        if (Directory.Exists(path)) SlideThrow.Open(path, "it is a folder, not a slide file");
        var info = new FileInfo(path);
        if (!info.Exists) SlideThrow.Open(path, "file not found");
        if (info.Length == 0) SlideThrow.Open(path, "the file is empty (0 bytes)");
        try
        {
            using FileStream probe = info.OpenRead();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            SlideThrow.Open(path, $"the file cannot be read ({e.Message})", e);
        }
    }

    private static SlideBase OpenWithBackend(string path)
    {
        string? vendor;
        try
        {
            vendor = OpenSlideSlide.DetectVendor(path);
        }
        catch (DllNotFoundException e)
        {
            SlideThrow.Open(path, $"the OpenSlide library ({OpenSlideNative.Library}) is not installed; install the apt package libopenslide0 (tools/setup.sh does)", e);
            throw; // unreachable
        }

        if (vendor is not null) return OpenSlideSlide.Open(path);
        if (DicomProbe.LooksLikeDicom(path))
        {
            SlideThrow.Open(path, $"DICOM whole-slide images need OpenSlide 4.0 or newer; this machine has OpenSlide {OpenSlideNative.Version}. Convert the slide (e.g. to pyramidal TIFF) or upgrade OpenSlide");
        }
        if (PlainImageSlide.HasPlainImageExtension(path)) return PlainImageSlide.Open(path);

        SlideThrow.Open(path, $"not a supported slide format: OpenSlide {OpenSlideNative.Version} does not recognise it and its extension is not one of the plain image types ({string.Join(", ", PlainImageSlide.Extensions)})");
        throw new InvalidOperationException(); // unreachable
    }

    /// <summary>DICOM Part 10 files carry "DICM" at byte 128.</summary>
    private static class DicomProbe
    {
        public static bool LooksLikeDicom(string path)
        {
            if (path.EndsWith(".dcm", StringComparison.OrdinalIgnoreCase)) return true;
            Span<byte> header = stackalloc byte[132];
            using FileStream stream = File.OpenRead(path);
            return stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) == header.Length
                && header[128] == 'D' && header[129] == 'I' && header[130] == 'C' && header[131] == 'M';
        }
    }
}
