namespace PathoFed.Slides.Tiling;

/// <summary>
/// One slide to process: its id (the output folder's name), its file, and optionally a µm/px that overrides the
/// slide's own (a manifest's mpp column) or one used only when the slide records none (--slide-mpp).
/// </summary>
public sealed record SlideSource(string SlideId, string Path, double? MppOverride = null, double? MppFallback = null)
{
    public SlideOpenOptions OpenOptions => new(MppOverride, MppFallback);
}
