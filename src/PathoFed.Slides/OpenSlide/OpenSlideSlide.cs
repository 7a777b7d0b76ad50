using System.Buffers;
using System.Runtime.InteropServices;
using OpenCvSharp;

namespace PathoFed.Slides.OpenSlide;

/// <summary>
/// A slide read through OpenSlide: Aperio, Hamamatsu, Leica, MIRAX, Philips, Sakura, Trestle, Ventana and generic
/// tiled TIFF. OpenSlide handles are thread-safe, so reads need no lock here.
/// </summary>
public sealed class OpenSlideSlide : SlideBase
{
    private readonly OpenSlideHandle _handle;

    private OpenSlideSlide(string path, OpenSlideHandle handle, SlideMetadata metadata) : base(path, metadata) => _handle = handle;

    /// <summary>The vendor OpenSlide recognises the file as, or null when OpenSlide cannot read it.</summary>
    internal static string? DetectVendor(string path)
    {
        IntPtr vendor = OpenSlideNative.DetectVendor(path);
        return vendor == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(vendor);
    }

    internal static OpenSlideSlide Open(string path)
    {
        SlideNativeLibraries.ThrowIfLoadOrderBroken(path);
        OpenSlideHandle handle = OpenSlideNative.Open(path);
        try
        {
            if (handle.IsInvalid) SlideThrow.Open(path, "OpenSlide does not recognise this file");
            OpenSlideNative.ThrowIfError(handle, path, opening: true);
            return new OpenSlideSlide(path, handle, ReadMetadata(handle, path));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static SlideMetadata ReadMetadata(OpenSlideHandle handle, string path)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string name in OpenSlideNative.ReadStringArray(OpenSlideNative.GetPropertyNames(handle)))
        {
            properties[name] = Marshal.PtrToStringUTF8(OpenSlideNative.GetPropertyValue(handle, name)) ?? "";
        }

        int levelCount = OpenSlideNative.GetLevelCount(handle);
        OpenSlideNative.ThrowIfError(handle, path, opening: true);
        var levels = new SlideLevel[levelCount];
        for (int level = 0; level < levelCount; level++)
        {
            OpenSlideNative.GetLevelDimensions(handle, level, out long width, out long height);
            levels[level] = new SlideLevel(width, height, OpenSlideNative.GetLevelDownsample(handle, level));
        }
        List<string> associated = OpenSlideNative.ReadStringArray(OpenSlideNative.GetAssociatedImageNames(handle));
        OpenSlideNative.ThrowIfError(handle, path, opening: true);
        if (levelCount < 1 || levels[0].Width <= 0 || levels[0].Height <= 0)
        {
            SlideThrow.Open(path, $"OpenSlide reports no usable level ({levelCount} levels)");
        }

        var (mppX, mppY, mppSource) = SlideResolution.Resolve(properties);

        return new SlideMetadata(
            Vendor: properties.GetValueOrDefault("openslide.vendor", "unknown"),
            Levels: levels,
            MppX: mppX,
            MppY: mppY,
            ObjectivePower: SlideResolution.ParsePositive(properties, "openslide.objective-power"),
            Properties: properties,
            AssociatedImages: associated,
            MppSource: mppSource);
    }

    protected override unsafe void ReadRegionCore(long level0X, long level0Y, int level, int widthPx, int heightPx, Mat destination)
    {
        int pixels = widthPx * heightPx;
        uint[] argb = ArrayPool<uint>.Shared.Rent(pixels);
        try
        {
            fixed (uint* buffer = argb)
            {
                OpenSlideNative.ReadRegion(_handle, buffer, level0X, level0Y, level, widthPx, heightPx);
                OpenSlideNative.ThrowIfError(_handle, Path);
                PremultipliedArgb.ToBgrOverWhite(buffer, heightPx, widthPx, destination);
            }
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(argb);
        }
    }

    protected override unsafe Mat ReadAssociatedImageCore(string name)
    {
        OpenSlideNative.GetAssociatedImageDimensions(_handle, name, out long width, out long height);
        OpenSlideNative.ThrowIfError(_handle, Path);
        if (width <= 0 || height <= 0 || width * height > MaxRegionPixels)
        {
            SlideThrow.Read(Path, $"associated image '{name}' has unusable size {width} x {height}");
        }

        int pixels = checked((int)(width * height));
        uint[] argb = ArrayPool<uint>.Shared.Rent(pixels);
        var result = new Mat((int)height, (int)width, MatType.CV_8UC3);
        try
        {
            fixed (uint* buffer = argb)
            {
                OpenSlideNative.ReadAssociatedImage(_handle, name, buffer);
                OpenSlideNative.ThrowIfError(_handle, Path);
                PremultipliedArgb.ToBgrOverWhite(buffer, (int)height, (int)width, result);
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(argb);
        }
    }

    protected override void DisposeCore() => _handle.Dispose();
}
