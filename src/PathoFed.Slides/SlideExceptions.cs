using System.Diagnostics.CodeAnalysis;

namespace PathoFed.Slides;

/// <summary>A slide file could not be opened: missing, unsupported format, or rejected by its reader.</summary>
public sealed class SlideOpenException(string path, string cause, Exception? inner = null)
    : PathoFedException($"Cannot open slide '{path}': {cause}", inner)
{
    public string SlidePath { get; } = path;
    public string Cause { get; } = cause;
}

/// <summary>A slide opened but a region, level or associated image could not be read (corrupt tile data, I/O error).</summary>
public sealed class SlideReadException(string path, string cause, Exception? inner = null)
    : PathoFedException($"Cannot read slide '{path}': {cause}", inner)
{
    public string SlidePath { get; } = path;
    public string Cause { get; } = cause;
}

/// <summary>A physical resolution (µm/px) was needed but the slide does not record one and none was supplied.</summary>
public sealed class MissingMppException(string path)
    : PathoFedException(
        $"Slide '{path}' records no physical resolution (µm per pixel), so a target µm/px or magnification cannot be honoured. " +
        "Supply it with --slide-mpp, or with an 'mpp' column in the manifest CSV.")
{
    public string SlidePath { get; } = path;
}

internal static class SlideThrow
{
    [DoesNotReturn]
    public static void Open(string path, string cause, Exception? inner = null) => throw new SlideOpenException(path, cause, inner);

    [DoesNotReturn]
    public static void Read(string path, string cause, Exception? inner = null) => throw new SlideReadException(path, cause, inner);
}
