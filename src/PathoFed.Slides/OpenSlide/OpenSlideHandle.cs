using Microsoft.Win32.SafeHandles;

namespace PathoFed.Slides.OpenSlide;

/// <summary>Owns an <c>openslide_t*</c>; closing it is the only way the native slide is released.</summary>
internal sealed class OpenSlideHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public OpenSlideHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        OpenSlideNative.Close(handle);
        return true;
    }
}
