using System.Runtime.InteropServices;

namespace PathoFed.Slides.OpenSlide;

/// <summary>
/// P/Invoke declarations for the system OpenSlide (Debian's libopenslide0). The exact soname is used because the
/// bare "libopenslide.so" link exists only with the -dev package.
/// </summary>
internal static partial class OpenSlideNative
{
    public const string Library = "libopenslide.so.0";

    [LibraryImport(Library, EntryPoint = "openslide_detect_vendor", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr DetectVendor(string filename);

    [LibraryImport(Library, EntryPoint = "openslide_open", StringMarshalling = StringMarshalling.Utf8)]
    public static partial OpenSlideHandle Open(string filename);

    [LibraryImport(Library, EntryPoint = "openslide_close")]
    public static partial void Close(IntPtr osr);

    [LibraryImport(Library, EntryPoint = "openslide_get_error")]
    public static partial IntPtr GetError(OpenSlideHandle osr);

    [LibraryImport(Library, EntryPoint = "openslide_get_level_count")]
    public static partial int GetLevelCount(OpenSlideHandle osr);

    [LibraryImport(Library, EntryPoint = "openslide_get_level_dimensions")]
    public static partial void GetLevelDimensions(OpenSlideHandle osr, int level, out long width, out long height);

    [LibraryImport(Library, EntryPoint = "openslide_get_level_downsample")]
    public static partial double GetLevelDownsample(OpenSlideHandle osr, int level);

    [LibraryImport(Library, EntryPoint = "openslide_read_region")]
    public static unsafe partial void ReadRegion(OpenSlideHandle osr, uint* dest, long x, long y, int level, long width, long height);

    [LibraryImport(Library, EntryPoint = "openslide_get_property_names")]
    public static partial IntPtr GetPropertyNames(OpenSlideHandle osr);

    [LibraryImport(Library, EntryPoint = "openslide_get_property_value", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr GetPropertyValue(OpenSlideHandle osr, string name);

    [LibraryImport(Library, EntryPoint = "openslide_get_associated_image_names")]
    public static partial IntPtr GetAssociatedImageNames(OpenSlideHandle osr);

    [LibraryImport(Library, EntryPoint = "openslide_get_associated_image_dimensions", StringMarshalling = StringMarshalling.Utf8)]
    public static partial void GetAssociatedImageDimensions(OpenSlideHandle osr, string name, out long width, out long height);

    [LibraryImport(Library, EntryPoint = "openslide_read_associated_image", StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial void ReadAssociatedImage(OpenSlideHandle osr, string name, uint* dest);

    [LibraryImport(Library, EntryPoint = "openslide_get_version")]
    public static partial IntPtr GetVersion();

    /// <summary>Reads a NULL-terminated array of UTF-8 strings owned by OpenSlide.</summary>
    public static List<string> ReadStringArray(IntPtr array)
    {
        var result = new List<string>();
        if (array == IntPtr.Zero) return result;
        for (int i = 0; ; i++)
        {
            IntPtr item = Marshal.ReadIntPtr(array, i * IntPtr.Size);
            if (item == IntPtr.Zero) return result;
            result.Add(Marshal.PtrToStringUTF8(item)!);
        }
    }

    /// <summary>Throws when OpenSlide has recorded an error on this handle; every call is followed by this one check.</summary>
    public static void ThrowIfError(OpenSlideHandle osr, string path, bool opening = false)
    {
        IntPtr error = GetError(osr);
        if (error == IntPtr.Zero) return;
        string message = $"OpenSlide: {Marshal.PtrToStringUTF8(error)}";
        if (opening) SlideThrow.Open(path, message);
        SlideThrow.Read(path, message);
    }

    /// <summary>The library's version, or a reason it cannot be loaded (apt package missing).</summary>
    public static string Version
    {
        get
        {
            try
            {
                return Marshal.PtrToStringUTF8(GetVersion()) ?? "unknown";
            }
            catch (DllNotFoundException)
            {
                return "not installed";
            }
        }
    }
}
