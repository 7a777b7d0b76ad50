namespace PathoFed.Slides.Tissue;

/// <summary>A point in level-0 pixel coordinates.</summary>
public readonly record struct Level0Point(double X, double Y);

/// <summary>One connected piece of tissue: an outer ring and its holes, in level-0 pixels, with its area (holes subtracted).</summary>
public sealed record TissueRegion(
    IReadOnlyList<Level0Point> Outer,
    IReadOnlyList<IReadOnlyList<Level0Point>> Holes,
    double AreaLevel0Px);
