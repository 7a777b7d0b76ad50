namespace PathoFed.Slides.Tissue;

/// <summary>
/// Settings of the CLAM-style tissue detector. Areas are in level-0 pixels so results do not depend on the
/// resolution the mask is computed at.
/// </summary>
public sealed record TissueDetectionOptions
{
    /// <summary>Fixed threshold on median-blurred HSV saturation (0-255); null picks one per slide with Otsu.</summary>
    public int? SaturationThreshold { get; init; }

    /// <summary>Lower bound for an Otsu threshold, so that a nearly empty slide's glass noise is not split in two.</summary>
    public int MinOtsuThreshold { get; init; } = 8;

    /// <summary>Median blur aperture in mask pixels (odd).</summary>
    public int MedianBlurPx { get; init; } = 7;

    /// <summary>Side of the square morphological closing kernel in mask pixels; 0 disables closing.</summary>
    public int CloseKernelPx { get; init; } = 4;

    /// <summary>Tissue regions smaller than this (holes subtracted) are dropped: dust, debris, labels.</summary>
    public double MinRegionAreaLevel0Px { get; init; } = 100_000;

    /// <summary>Holes smaller than this stay tissue.</summary>
    public double MinHoleAreaLevel0Px { get; init; } = 25_000;

    /// <summary>Largest holes kept per region; smaller ones are filled.</summary>
    public int MaxHolesPerRegion { get; init; } = 32;

    /// <summary>Remove blue, green and black marker ink before finding tissue.</summary>
    public bool RemovePenMarks { get; init; } = true;

    /// <summary>Remove near-black pixels: scanner borders, slide edges, black ink.</summary>
    public bool RemoveDarkPixels { get; init; } = true;

    /// <summary>Coarsest mask resolution: level-0 pixels per mask pixel (CLAM segments around 32-64).</summary>
    public double MaxDownsample { get; init; } = 32;

    /// <summary>A mask is made at least this many pixels along the slide's longer side when the slide allows it.</summary>
    public int MinMaskSidePx { get; init; } = 2048;

    /// <summary>Hard cap on mask size whatever the settings (64 Mpx, ~200 MB with the thumbnail), so memory stays bounded.</summary>
    public const long MaxMaskPixels = 64L << 20;

    public static TissueDetectionOptions Default { get; } = new();

    /// <summary>Level-0 pixels per mask pixel for a slide of this size.</summary>
    public double DownsampleFor(long level0Width, long level0Height)
    {
        double wanted = Math.Clamp(Math.Max(level0Width, level0Height) / (double)MinMaskSidePx, 1.0, Math.Max(1.0, MaxDownsample));
        double bounded = Math.Sqrt(level0Width * (double)level0Height / MaxMaskPixels);
        return Math.Max(wanted, bounded);
    }

    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public TissueDetectionOptions Validate()
    {
        if (SaturationThreshold is { } t) ArgumentOutOfRangeException.ThrowIfGreaterThan(t, 255, nameof(SaturationThreshold));
        if (SaturationThreshold is { } t0) ArgumentOutOfRangeException.ThrowIfNegative(t0, nameof(SaturationThreshold));
        if (MedianBlurPx < 1 || MedianBlurPx % 2 == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MedianBlurPx), MedianBlurPx, "median blur aperture must be odd and at least 1");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(CloseKernelPx);
        ArgumentOutOfRangeException.ThrowIfNegative(MinRegionAreaLevel0Px);
        ArgumentOutOfRangeException.ThrowIfNegative(MinHoleAreaLevel0Px);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxHolesPerRegion);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDownsample, 1.0);
        ArgumentOutOfRangeException.ThrowIfLessThan(MinMaskSidePx, 16);
        return this;
    }
}
