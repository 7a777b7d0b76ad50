using System.Globalization;

namespace PathoFed.Slides.Synthetic;

/// <summary>Checks a <see cref="SyntheticSlideSpec"/> before any file is touched; every message names the bad value.</summary>
internal static class SyntheticSpecValidator
{
    /// <summary>
    /// Largest side accepted. Beyond it the level-0 tile offset tables alone (16 bytes a tile, held by LibTiff.NET
    /// until the directory is written) would grow past tens of MB, and no scanner produces such slides.
    /// </summary>
    public const long MaxSidePx = 250_000;

    public const int MinTileSizePx = 16;
    public const int MaxTileSizePx = 4096;

    // Boundary sampling for the ellipse overlap and containment tests; a golden-section search then refines the best
    // sample, so only crossings thinner than 1/720 of a turn could slip through.
    private const int BoundarySamples = 720;

    public static void Validate(SyntheticSlideSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Width is < 1 or > MaxSidePx) Fail($"Width ({spec.Width}) must be between 1 and {MaxSidePx} px");
        if (spec.Height is < 1 or > MaxSidePx) Fail($"Height ({spec.Height}) must be between 1 and {MaxSidePx} px");
        if (!double.IsFinite(spec.Mpp) || !SlideResolution.IsPlausibleMpp(spec.Mpp))
        {
            Fail($"Mpp ({spec.Mpp}) must be between {SlideResolution.MinPlausibleMpp} and {SlideResolution.MaxPlausibleMpp} µm/px");
        }
        if (!double.IsFinite(spec.ObjectivePower) || spec.ObjectivePower <= 0)
        {
            Fail($"ObjectivePower ({spec.ObjectivePower}) must be a positive number");
        }
        if (spec.TileSizePx is < MinTileSizePx or > MaxTileSizePx || spec.TileSizePx % 16 != 0)
        {
            Fail($"TileSizePx ({spec.TileSizePx}) must be a multiple of 16 between {MinTileSizePx} and {MaxTileSizePx}");
        }
        if (spec.JpegQuality is < 1 or > 100) Fail($"JpegQuality ({spec.JpegQuality}) must be between 1 and 100");
        if (!Enum.IsDefined(spec.Flavor)) Fail($"Flavor ({(int)spec.Flavor}) is not a {nameof(SyntheticSlideFlavor)} value");

        if (spec.Tissue is null) Fail("Tissue is null; pass an empty list for a slide of bare glass");
        if (spec.Holes is null) Fail("Holes is null; pass an empty list for none");
        if (spec.PenStrokes is null) Fail("PenStrokes is null; pass an empty list for none");
        if (spec.TumourFoci is null) Fail("TumourFoci is null; pass an empty list for a slide without tumour");
        if (spec.Stain is null) Fail($"Stain is null; use {nameof(SyntheticStain)}.{nameof(SyntheticStain.Standard)} for the standard intensity");
        ValidateStain(spec.Stain.Haematoxylin, "Stain.Haematoxylin");
        ValidateStain(spec.Stain.Eosin, "Stain.Eosin");

        ValidateEllipses(spec, spec.Tissue, nameof(spec.Tissue));
        ValidateEllipses(spec, spec.Holes, nameof(spec.Holes));
        ValidateEllipses(spec, spec.TumourFoci, nameof(spec.TumourFoci));
        for (int i = 0; i < spec.Tissue.Count; i++)
        {
            for (int j = i + 1; j < spec.Tissue.Count; j++)
            {
                if (Overlap(spec.Tissue[i], spec.Tissue[j]))
                {
                    Fail($"Tissue[{i}] ({spec.Tissue[i].Describe()}) and Tissue[{j}] ({spec.Tissue[j].Describe()}) overlap; " +
                         "tissue ellipses must be disjoint so that the tissue area is their plain sum");
                }
            }
        }
        for (int h = 0; h < spec.Holes.Count; h++)
        {
            bool inside = false;
            foreach (SyntheticEllipse tissue in spec.Tissue) inside |= Inside(spec.Holes[h], tissue);
            if (!inside) Fail($"Holes[{h}] ({spec.Holes[h].Describe()}) does not lie entirely inside any tissue ellipse");
            for (int j = h + 1; j < spec.Holes.Count; j++)
            {
                if (Overlap(spec.Holes[h], spec.Holes[j]))
                {
                    Fail($"Holes[{h}] ({spec.Holes[h].Describe()}) and Holes[{j}] ({spec.Holes[j].Describe()}) overlap");
                }
            }
        }

        for (int f = 0; f < spec.TumourFoci.Count; f++)
        {
            bool inside = false;
            foreach (SyntheticEllipse tissue in spec.Tissue) inside |= Inside(spec.TumourFoci[f], tissue);
            if (!inside)
            {
                Fail($"TumourFoci[{f}] ({spec.TumourFoci[f].Describe()}) does not lie entirely inside any tissue ellipse; " +
                     "a tumour focus is drawn in tissue, so shrink it or move it into a section");
            }
            for (int j = f + 1; j < spec.TumourFoci.Count; j++)
            {
                if (Overlap(spec.TumourFoci[f], spec.TumourFoci[j]))
                {
                    Fail($"TumourFoci[{f}] ({spec.TumourFoci[f].Describe()}) and TumourFoci[{j}] ({spec.TumourFoci[j].Describe()}) overlap; " +
                         "foci must be disjoint so that the tumour area is their plain sum");
                }
            }
        }

        for (int s = 0; s < spec.PenStrokes.Count; s++) ValidatePenStroke(spec, spec.PenStrokes[s], s);
    }

    private static void ValidateEllipses(SyntheticSlideSpec spec, IReadOnlyList<SyntheticEllipse> ellipses, string name)
    {
        for (int i = 0; i < ellipses.Count; i++)
        {
            SyntheticEllipse? e = ellipses[i];
            if (e is null) Fail($"{name}[{i}] is null");
            if (!double.IsFinite(e.CenterX) || !double.IsFinite(e.CenterY) || !double.IsFinite(e.RadiusX) || !double.IsFinite(e.RadiusY)
                || e.RadiusX <= 0 || e.RadiusY <= 0)
            {
                Fail($"{name}[{i}] ({e.Describe()}) needs a finite center and positive finite radii");
            }
            if (e.CenterX - e.RadiusX < 0 || e.CenterX + e.RadiusX > spec.Width || e.CenterY - e.RadiusY < 0 || e.CenterY + e.RadiusY > spec.Height)
            {
                Fail($"{name}[{i}] ({e.Describe()}) extends outside the {spec.Width} x {spec.Height} px slide");
            }
        }
    }

    private static void ValidateStain(double intensity, string name)
    {
        if (!(intensity >= SyntheticStain.MinIntensity && intensity <= SyntheticStain.MaxIntensity))
        {
            Fail(string.Create(CultureInfo.InvariantCulture,
                $"{name} ({intensity}) must be between {SyntheticStain.MinIntensity} and {SyntheticStain.MaxIntensity} (1 is the standard intensity)"));
        }
    }

    private static void ValidatePenStroke(SyntheticSlideSpec spec, PenStroke? stroke, int index)
    {
        if (stroke is null) Fail($"PenStrokes[{index}] is null");
        if (!Enum.IsDefined(stroke.Color)) Fail($"PenStrokes[{index}].Color ({(int)stroke.Color}) is not a {nameof(PenColor)} value");
        if (!double.IsFinite(stroke.WidthPx) || stroke.WidthPx <= 0 || stroke.WidthPx > Math.Max(spec.Width, spec.Height))
        {
            Fail($"PenStrokes[{index}].WidthPx ({stroke.WidthPx}) must be positive and no wider than the slide");
        }
        if (stroke.Points is null || stroke.Points.Count == 0) Fail($"PenStrokes[{index}].Points is empty; a stroke needs at least one point");
        for (int p = 0; p < stroke.Points.Count; p++)
        {
            var (x, y) = stroke.Points[p];
            if (!(x >= 0 && x <= spec.Width && y >= 0 && y <= spec.Height))
            {
                Fail(string.Create(CultureInfo.InvariantCulture,
                    $"PenStrokes[{index}].Points[{p}] ({x}, {y}) lies outside the {spec.Width} x {spec.Height} px slide"));
            }
        }
    }

    /// <summary>Disjoint unless one boundary enters the other ellipse, or one contains the other's center.</summary>
    internal static bool Overlap(SyntheticEllipse a, SyntheticEllipse b) =>
        a.NormalizedSquared(b.CenterX, b.CenterY) < 1
        || b.NormalizedSquared(a.CenterX, a.CenterY) < 1
        || ExtremeOnBoundary(a, b, maximum: false) < 1
        || ExtremeOnBoundary(b, a, maximum: false) < 1;

    /// <summary>Inner lies inside (or touches) outer when its whole boundary does.</summary>
    internal static bool Inside(SyntheticEllipse inner, SyntheticEllipse outer) => ExtremeOnBoundary(inner, outer, maximum: true) <= 1;

    /// <summary>The minimum or maximum of <paramref name="of"/>'s normalised squared radius along <paramref name="along"/>'s boundary.</summary>
    private static double ExtremeOnBoundary(SyntheticEllipse along, SyntheticEllipse of, bool maximum)
    {
        double sign = maximum ? -1 : 1;
        double Value(double theta)
        {
            var (x, y) = along.PointAt(theta);
            return sign * of.NormalizedSquared(x, y);
        }

        double step = 2 * Math.PI / BoundarySamples;
        double bestTheta = 0;
        double best = double.PositiveInfinity;
        for (int i = 0; i < BoundarySamples; i++)
        {
            double value = Value(i * step);
            if (value < best)
            {
                best = value;
                bestTheta = i * step;
            }
        }

        // Golden-section search on the bracket around the best sample, where the function is unimodal.
        const double InverseGolden = 0.6180339887498949;
        double lo = bestTheta - step, hi = bestTheta + step;
        double c = hi - InverseGolden * (hi - lo), d = lo + InverseGolden * (hi - lo);
        double fc = Value(c), fd = Value(d);
        for (int i = 0; i < 60; i++)
        {
            if (fc < fd)
            {
                hi = d; d = c; fd = fc;
                c = hi - InverseGolden * (hi - lo); fc = Value(c);
            }
            else
            {
                lo = c; c = d; fc = fd;
                d = lo + InverseGolden * (hi - lo); fd = Value(d);
            }
        }
        best = Math.Min(best, Math.Min(fc, fd));
        return sign * best;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(string message) => throw new ArgumentException(message + ".", "spec");
}
