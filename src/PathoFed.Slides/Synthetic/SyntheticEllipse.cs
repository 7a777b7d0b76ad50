namespace PathoFed.Slides.Synthetic;

/// <summary>An axis-aligned ellipse in level-0 pixels: a tissue section, or a hole (glass) inside one.</summary>
public sealed record SyntheticEllipse(double CenterX, double CenterY, double RadiusX, double RadiusY)
{
    /// <summary>The exact area in level-0 pixels (π·rx·ry).</summary>
    public double Area => Math.PI * RadiusX * RadiusY;

    /// <summary>Whether the level-0 point lies inside or on the ellipse.</summary>
    public bool Contains(double x, double y)
    {
        double u = (x - CenterX) / RadiusX;
        double v = (y - CenterY) / RadiusY;
        return u * u + v * v <= 1;
    }

    /// <summary>The squared normalised radius of a point: below 1 inside, 1 on the boundary.</summary>
    internal double NormalizedSquared(double x, double y)
    {
        double u = (x - CenterX) / RadiusX;
        double v = (y - CenterY) / RadiusY;
        return u * u + v * v;
    }

    /// <summary>The boundary point at parameter <paramref name="theta"/> (radians).</summary>
    internal (double X, double Y) PointAt(double theta) =>
        (CenterX + RadiusX * Math.Cos(theta), CenterY + RadiusY * Math.Sin(theta));

    internal string Describe() =>
        FormattableString.Invariant($"center ({CenterX}, {CenterY}), radii {RadiusX} x {RadiusY}");
}
