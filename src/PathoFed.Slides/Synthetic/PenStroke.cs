namespace PathoFed.Slides.Synthetic;

/// <summary>The ink of a marker pen, as pathologists draw on slides to circle regions.</summary>
public enum PenColor
{
    Blue,
    Green,
    Black,
}

/// <summary>
/// A marker-pen line through <paramref name="Points"/> (level-0 pixels) with round ends, drawn opaque over tissue and
/// glass. A single point draws a dot.
/// </summary>
public sealed record PenStroke(IReadOnlyList<(double X, double Y)> Points, double WidthPx, PenColor Color);
