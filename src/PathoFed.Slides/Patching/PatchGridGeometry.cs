namespace PathoFed.Slides.Patching;

/// <summary>
/// The resolved grid for one slide: what one output pixel is in level-0 pixels, the patch footprint and stride
/// in level-0 pixels, and the pyramid level (and size there) that patches are read from before resizing.
/// </summary>
public sealed record PatchGridGeometry(
    double TargetMpp,
    double Level0PerOutputPx,
    int PatchSizePx,
    int OverlapPx,
    int Level0PatchSize,
    int Level0Stride,
    int ReadLevel,
    int ReadSizePx)
{
    /// <summary>
    /// Resolves options against a slide. Magnification uses the objective power when recorded (20x on a 40x scan is a
    /// 2x downsample), else the convention 10 µm / magnification (20x = 0.5 µm/px).
    /// </summary>
    /// <exception cref="MissingMppException">The target needs a resolution the slide does not record.</exception>
    /// <exception cref="ArgumentException">The target would need upsampling, or the options are invalid.</exception>
    public static PatchGridGeometry Resolve(SlideMetadata metadata, string slidePath, PatchGridOptions options)
    {
        options.Validate();
        double scale, targetMpp;
        if (options.TargetMagnification is { } magnification && metadata.ObjectivePower is { } power)
        {
            scale = power / magnification;
            targetMpp = metadata.Mpp is { } mpp ? mpp * scale : 10.0 / magnification;
        }
        else
        {
            targetMpp = options.TargetMpp ?? 10.0 / options.TargetMagnification!.Value;
            scale = targetMpp / metadata.RequireMpp(slidePath);
        }

        if (scale < 1 / PatchGridOptions.MaxUpsampling)
        {
            throw new ArgumentException(
                $"Slide '{slidePath}' was scanned at {metadata.Mpp:0.###} µm/px; {targetMpp:0.###} µm/px patches would upsample it {1 / scale:0.##}x. " +
                "Choose a coarser --mpp or a lower --mag.");
        }

        int level0Patch = Math.Max(1, (int)Math.Round(options.PatchSizePx * scale));
        int level0Stride = Math.Max(1, (int)Math.Round((options.PatchSizePx - options.OverlapPx) * scale));
        int readLevel = metadata.BestLevelForDownsample(scale);
        int readSize = Math.Max(1, (int)Math.Round(level0Patch / metadata.Levels[readLevel].Downsample));
        return new PatchGridGeometry(targetMpp, scale, options.PatchSizePx, options.OverlapPx, level0Patch, level0Stride, readLevel, readSize);
    }
}
