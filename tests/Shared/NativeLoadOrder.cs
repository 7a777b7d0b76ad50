using System.Runtime.CompilerServices;

namespace PathoFed.Tests;

internal static class NativeLoadOrder
{
    /// <summary>Tests create OpenCV Mats before opening slides: OpenSlide must be loaded before OpenCV (see SlideNativeLibraries).</summary>
#pragma warning disable CA2255 // native load order is exactly what module initializers exist for
    [ModuleInitializer]
    internal static void PreloadOpenSlide() => PathoFed.Slides.OpenSlide.SlideNativeLibraries.Preload();
#pragma warning restore CA2255
}
