namespace PathoFed.Slides.Tiling;

/// <summary>One slide to process: its id (the output folder's name), its file, and an optional µm/px override.</summary>
public sealed record SlideSource(string SlideId, string Path, double? MppOverride = null);
