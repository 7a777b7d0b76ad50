namespace PathoFed.Slides.Patching;

/// <summary>
/// How to cut patches. Give either <see cref="TargetMpp"/> (µm per output pixel) or <see cref="TargetMagnification"/>
/// (objective power, e.g. 20); patches are <see cref="PatchSizePx"/> output pixels square.
/// </summary>
public sealed record PatchGridOptions
{
    public double? TargetMpp { get; init; } = 0.5;

    public double? TargetMagnification { get; init; }

    public int PatchSizePx { get; init; } = 256;

    /// <summary>Output pixels shared by neighbouring patches; the stride is <c>PatchSizePx - OverlapPx</c>.</summary>
    public int OverlapPx { get; init; }

    /// <summary>Patches with less tissue than this fraction (0-1) are dropped; 0 keeps every patch.</summary>
    public double MinTissueFraction { get; init; } = 0.5;

    /// <summary>Targets finer than the scan by more than this factor are refused: upsampling invents detail.</summary>
    public const double MaxUpsampling = 1.1;

    public static PatchGridOptions Default { get; } = new();

    /// <exception cref="ArgumentException">A setting is out of range or both/neither targets are given.</exception>
    public PatchGridOptions Validate()
    {
        if (TargetMpp is null == TargetMagnification is null)
        {
            throw new ArgumentException($"Give exactly one of a target µm/px ({TargetMpp?.ToString() ?? "none"}) or a target magnification ({TargetMagnification?.ToString() ?? "none"}).");
        }
        if (TargetMpp is { } mpp && !(mpp > 0 && double.IsFinite(mpp))) throw new ArgumentOutOfRangeException(nameof(TargetMpp), mpp, "target µm/px must be positive");
        if (TargetMagnification is { } mag && !(mag > 0 && double.IsFinite(mag))) throw new ArgumentOutOfRangeException(nameof(TargetMagnification), mag, "target magnification must be positive");
        if (PatchSizePx is < 8 or > 8192) throw new ArgumentOutOfRangeException(nameof(PatchSizePx), PatchSizePx, "patch size must be 8-8192 px");
        if (OverlapPx < 0 || OverlapPx >= PatchSizePx)
        {
            throw new ArgumentOutOfRangeException(nameof(OverlapPx), OverlapPx, $"overlap must be 0 to {PatchSizePx - 1} px (less than the patch size {PatchSizePx})");
        }
        if (!(MinTissueFraction is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(MinTissueFraction), MinTissueFraction, "minimum tissue fraction must be 0-1");
        return this;
    }
}
