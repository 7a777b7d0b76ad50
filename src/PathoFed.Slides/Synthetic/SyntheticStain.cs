namespace PathoFed.Slides.Synthetic;

/// <summary>
/// How strongly a synthetic slide took up its stains: each factor scales that stain's absorbance (distance from white),
/// 1 being the renderer's standard. Real labs differ by tens of percent (staining time, dye batch, section thickness).
/// </summary>
/// <param name="Haematoxylin">Scales the nuclei's absorbance; between <see cref="MinIntensity"/> and <see cref="MaxIntensity"/>.</param>
/// <param name="Eosin">Scales the stroma's, cytoplasm's and collagen's absorbance; same range.</param>
public sealed record SyntheticStain(double Haematoxylin, double Eosin)
{
    public const double MinIntensity = 0.5;
    public const double MaxIntensity = 2;

    /// <summary>Both stains at the renderer's standard intensity: slides render as they always have.</summary>
    public static SyntheticStain Standard { get; } = new(1, 1);
}
