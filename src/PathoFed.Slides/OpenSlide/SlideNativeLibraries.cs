using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PathoFed.Slides.OpenSlide;

/// <summary>
/// Loads OpenSlide before OpenCV. OpenCvSharp's native library exports its own bundled libjpeg, and it also pulls in
/// the system libjpeg.so.62 (through GTK). Loaded in that order, the system libjpeg binds its internal calls to
/// OpenCV's copy (a different ABI) and OpenSlide then crashes inside jpeg_read_header. Loaded OpenSlide-first, the
/// system libjpeg binds within OpenSlide's own dependencies and both libraries work.
/// </summary>
public static partial class SlideNativeLibraries
{
    private const int RtldLazy = 0x1, RtldNoLoad = 0x4;
    private static readonly object Gate = new();
    private static bool _attempted;

    /// <summary>True when the system libjpeg was already loaded (by OpenCV) before OpenSlide, so OpenSlide must not be used.</summary>
    public static bool LoadOrderBroken { get; private set; }

    /// <summary>Runs as soon as PathoFed.Slides is touched; entry points also call <see cref="Preload"/> first thing.</summary>
#pragma warning disable CA2255 // native load order is exactly what module initializers exist for
    [ModuleInitializer]
    internal static void Initialize() => Preload();
#pragma warning restore CA2255

    /// <summary>Loads OpenSlide now, if installed. Idempotent and cheap; never throws.</summary>
    public static void Preload()
    {
        lock (Gate)
        {
            if (_attempted || !OperatingSystem.IsLinux()) return;
            _attempted = true;
            try
            {
                if (IsLoaded(OpenSlideNative.Library)) return;
                bool jpegFirst = IsLoaded("libjpeg.so.62");
                if (NativeLibrary.TryLoad(OpenSlideNative.Library, out _)) LoadOrderBroken = jpegFirst;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // No libdl to ask: leave the order to chance rather than fail at start-up.
            }
        }
    }

    internal static void ThrowIfLoadOrderBroken(string path)
    {
        if (LoadOrderBroken)
        {
            SlideThrow.Open(path,
                "OpenCV's native library was loaded before OpenSlide, which makes OpenSlide's JPEG decoding crash. " +
                "Call PathoFed.Slides.OpenSlide.SlideNativeLibraries.Preload() at the very start of the program");
        }
    }

    private static bool IsLoaded(string library)
    {
        IntPtr handle = DlOpen(library, RtldLazy | RtldNoLoad);
        if (handle == IntPtr.Zero) return false;
        DlClose(handle); // NOLOAD still takes a reference
        return true;
    }

    [LibraryImport("libc.so.6", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr DlOpen(string file, int mode);

    [LibraryImport("libc.so.6", EntryPoint = "dlclose")]
    private static partial int DlClose(IntPtr handle);
}
