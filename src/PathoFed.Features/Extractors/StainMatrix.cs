namespace PathoFed.Features.Extractors;

/// <summary>
/// Ruifrok and Johnston's colour deconvolution for haematoxylin, eosin and DAB, with the stain vectors scikit-image
/// uses (<c>skimage.color.rgb_from_hed</c>). The third (DAB) vector stands for whatever is left after H and E; in
/// plain H&amp;E it carries no stain and is reported as the residual.
/// </summary>
internal static class StainMatrix
{
    /// <summary>Rows are the stains' optical densities in R, G, B: OD = concentrations · RgbFromHed (row vectors).</summary>
    public static readonly double[,] RgbFromHed =
    {
        { 0.65, 0.70, 0.29 },
        { 0.07, 0.99, 0.11 },
        { 0.27, 0.57, 0.78 },
    };

    /// <summary>concentrations = OD · HedFromRgb (row vectors): the inverse of <see cref="RgbFromHed"/>.</summary>
    public static double[,] HedFromRgb() => Invert3x3(RgbFromHed);

    /// <summary>Adjugate over determinant, in double: plain IEEE arithmetic, so the result is the same on every run.</summary>
    internal static double[,] Invert3x3(double[,] m)
    {
        double c00 = m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1];
        double c01 = m[1, 2] * m[2, 0] - m[1, 0] * m[2, 2];
        double c02 = m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0];
        double determinant = m[0, 0] * c00 + m[0, 1] * c01 + m[0, 2] * c02;
        if (Math.Abs(determinant) < 1e-12) throw new ArgumentException($"Matrix is singular (determinant {determinant})", nameof(m));

        double s = 1.0 / determinant;
        return new double[,]
        {
            { c00 * s, (m[0, 2] * m[2, 1] - m[0, 1] * m[2, 2]) * s, (m[0, 1] * m[1, 2] - m[0, 2] * m[1, 1]) * s },
            { c01 * s, (m[0, 0] * m[2, 2] - m[0, 2] * m[2, 0]) * s, (m[0, 2] * m[1, 0] - m[0, 0] * m[1, 2]) * s },
            { c02 * s, (m[0, 1] * m[2, 0] - m[0, 0] * m[2, 1]) * s, (m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]) * s },
        };
    }
}
