using System.Globalization;

namespace PathoFed.Slides;

/// <summary>Derives µm/px from TIFF resolution tags (property names as OpenSlide reports them).</summary>
internal static class SlideResolution
{
    // Microscopy lives well inside this range; outside it a tag is the 72/96 dpi default many TIFF writers add
    // (72 dpi is 352.8 µm/px), which would silently wreck every physical-size computation if trusted.
    public const double MinPlausibleMpp = 0.01;
    public const double MaxPlausibleMpp = 50;

    /// <summary>The vendor's µm/px (OpenSlide's normalised properties) first, then physical TIFF resolution tags.</summary>
    public static (double? X, double? Y, MppSource Source) Resolve(IReadOnlyDictionary<string, string> properties)
    {
        double? x = ParsePositive(properties, "openslide.mpp-x");
        double? y = ParsePositive(properties, "openslide.mpp-y");
        if (x is { } vx && y is { } vy && IsPlausibleMpp(vx) && IsPlausibleMpp(vy)) return (vx, vy, MppSource.Vendor);
        if (FromTiffTags(properties) is { } tiff) return (tiff.X, tiff.Y, MppSource.TiffResolution);
        return (null, null, MppSource.Unknown);
    }

    public static (double X, double Y)? FromTiffTags(IReadOnlyDictionary<string, string> properties)
    {
        if (!properties.TryGetValue("tiff.ResolutionUnit", out string? unit)) return null;
        double micronsPerUnit = unit.ToLowerInvariant() switch
        {
            "centimeter" or "3" => 10_000,
            "inch" or "2" => 25_400,
            _ => double.NaN, // "none": the tags give an aspect ratio, not a size
        };
        if (double.IsNaN(micronsPerUnit)) return null;

        double? x = MppFromPixelsPerUnit(properties, "tiff.XResolution", micronsPerUnit);
        double? y = MppFromPixelsPerUnit(properties, "tiff.YResolution", micronsPerUnit);
        if (x is null || y is null) return null;
        return (x.Value, y.Value);
    }

    public static double? ParsePositive(IReadOnlyDictionary<string, string> properties, string name) =>
        properties.TryGetValue(name, out string? text)
        && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
        && value > 0 && double.IsFinite(value)
            ? value
            : null;

    public static bool IsPlausibleMpp(double mpp) => mpp is >= MinPlausibleMpp and <= MaxPlausibleMpp;

    private static double? MppFromPixelsPerUnit(IReadOnlyDictionary<string, string> properties, string name, double micronsPerUnit)
    {
        double? pixelsPerUnit = ParsePositive(properties, name);
        if (pixelsPerUnit is null) return null;
        double mpp = micronsPerUnit / pixelsPerUnit.Value;
        return IsPlausibleMpp(mpp) ? mpp : null;
    }
}
