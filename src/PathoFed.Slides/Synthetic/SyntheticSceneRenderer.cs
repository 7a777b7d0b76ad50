using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using OpenCvSharp;

namespace PathoFed.Slides.Synthetic;

/// <summary>
/// Renders any rectangle of the analytic H&amp;E-like scene at any downsample, so that every tile and every pyramid
/// level is computed straight from the spec and streams independently. Each pixel is a function of its global
/// position alone (hashes of the seed and coordinates), which makes tiles seamless and output deterministic whatever
/// the thread schedule. Immutable: one instance serves all threads, each with its own <see cref="SyntheticRenderScratch"/>.
/// </summary>
internal sealed class SyntheticSceneRenderer
{
    // Pixels rendered beyond each side of a region (horizontally, up to the next node column), so that the blur
    // sees real neighbours and tiles join seamlessly.
    private const int MarginPx = 2;

    // Low-frequency fields are evaluated on a lattice of nodes this many output pixels apart and interpolated:
    // evaluating value noise per pixel would cost more than everything else together.
    private const int NodeSpacingPx = 8;

    // Width of the anti-aliased tissue edge in output pixels: soft like a scanned section, and the symmetric ramp
    // keeps the rendered area equal to the analytic one.
    private const double EdgeWidthPx = 1.5;

    private const double BlurSigmaPx = 0.6;

    // Nuclei: one candidate per cell of a level-0 grid, present with a probability that follows a smooth density field.
    private const double NucleusCellUm = 14;
    private const double DensityMin = 0.2;
    private const double DensityMax = 0.9;

    // Nucleus kinds: small dark round lymphocytes, elongated fibroblasts along the collagen, large pale epithelial
    // nuclei. Elongation stretches one axis and shrinks the other, keeping each nucleus's area at π·r².
    private static readonly NucleusKind[] NucleusKinds =
    [
        new(Probability: 0.25, MinRadiusUm: 2.8, MaxRadiusUm: 3.2, MinElongation: 1.0, MaxElongation: 1.15, MinShade: 1.1, MaxShade: 1.25, AlongFibres: false),
        new(Probability: 0.30, MinRadiusUm: 2.8, MaxRadiusUm: 3.6, MinElongation: 2.0, MaxElongation: 3.0, MinShade: 0.95, MaxShade: 1.15, AlongFibres: true),
        new(Probability: 0.45, MinRadiusUm: 3.5, MaxRadiusUm: 5.0, MinElongation: 1.0, MaxElongation: 1.4, MinShade: 0.75, MaxShade: 1.0, AlongFibres: false),
    ];

    // Tumour foci: a carcinoma-like sheet of crowded, enlarged, hyperchromatic and pleomorphic nuclei on a finer grid,
    // which overlap as crowded nuclei do, in pale amphophilic cytoplasm with little collagen. A few stromal nuclei of the
    // normal grid remain, and the border wanders around the analytic ellipse like an infiltrative front.
    private const double TumourCellUm = 10;
    private const double TumourDensity = 0.92;
    private static readonly NucleusKind TumourNucleus =
        new(Probability: 1, MinRadiusUm: 3.4, MaxRadiusUm: 5.8, MinElongation: 1.0, MaxElongation: 1.8, MinShade: 1.05, MaxShade: 1.3, AlongFibres: false);
    private const double TumourJitter = 0.3;
    private const double TumourReplacesNormal = 0.85;
    private const double TumourEdgeUm = 20;
    private const double TumourBorderWavelengthUm = 120;
    private const double TumourBorderAmplitude = 0.12;
    private const double TumourCytoplasmWeight = 0.75;
    private const double TumourFibreRemaining = 0.2;

    // Collagen fibres: parallel waves this far apart, bent by two octaves of warp noise.
    private const double FibreWavelengthUm = 7;
    private const double FibreWarpWavelengthUm = 90;
    private const double FibreWarpRadians = 14;
    private const double FibreDetailWarpWavelengthUm = 20;
    private const double FibreDetailWarpRadians = 4;
    private const double FibreStrengthWavelengthUm = 60;

    private const double DensityWavelengthUm = 700;
    private const double TintWavelengthUm = 900;
    private const double TintDetailWavelengthUm = 220;
    private const double MottleWavelengthUm = 30;
    private const double FineMottleWavelengthUm = 12;
    private const double GlassShadeWavelengthUm = 4000;

    // Colours are RGB; the canvas is BGR like every Mat in PathoFed.
    private static readonly Rgb StromaLight = new(244, 188, 222);
    private static readonly Rgb StromaDeep = new(214, 130, 182);
    private static readonly Rgb MottleAmplitude = new(5, 14, 7);
    private static readonly Rgb TumourCytoplasm = new(228, 176, 214);
    private static readonly Rgb[] PenColors = [new(30, 60, 200), new(30, 150, 60), new(20, 20, 20)];

    // The per-pixel loop reads these as constants.
    private const float GlassR = 240, GlassG = 238, GlassB = 242;
    private const float FibreR = 5, FibreG = 22, FibreB = 11;
    private const float NucleusAbsorbanceR = 255 - 80, NucleusAbsorbanceG = 255 - 50, NucleusAbsorbanceB = 255 - 140;

    // Independent noise channels.
    private const ulong ChannelDensity = 1, ChannelTint = 2, ChannelTintDetail = 3, ChannelMottle = 4, ChannelFineMottle = 5,
        ChannelGlass = 6, ChannelNuclei = 7, ChannelPixels = 8, ChannelFibreWarp = 9, ChannelFibreDetailWarp = 10, ChannelFibreAngle = 11, ChannelFibreStrength = 12,
        ChannelTumourNuclei = 13, ChannelTumourBorder = 14, ChannelTumourReplaces = 15;

    private readonly SyntheticEllipse[] _tissue;
    private readonly SyntheticEllipse[] _holes;
    private readonly SyntheticEllipse[] _foci;
    private readonly PenSegment[] _penSegments;
    private readonly ulong _seed;
    private readonly double _mpp;
    private readonly double _cellPx;
    private readonly double _meanNucleusRadiusPx;
    private readonly double _nucleusAreaPerCellFraction;
    private readonly double _fibreCos, _fibreSin, _fibreWaveNumber;
    private readonly double _tumourCellPx, _tumourEdgePx, _tumourCover;
    private readonly NoiseField _tumourBorder;
    private readonly Rgb _stromaLight, _stromaDeep, _tumourCytoplasm, _fibre, _nucleusAbsorbance;
    private readonly NoiseField _density, _tint, _tintDetail, _mottle, _fineMottle, _glassShade, _fibreWarp, _fibreDetailWarp, _fibreStrength;

    public SyntheticSceneRenderer(SyntheticSlideSpec spec)
    {
        _tissue = [.. spec.Tissue];
        _holes = [.. spec.Holes];
        _foci = [.. spec.TumourFoci];
        _seed = SyntheticHash.Mix(0x5EED_0F_5A1DE5UL ^ (ulong)(uint)spec.Seed);
        _mpp = spec.Mpp;
        _cellPx = NucleusCellUm / _mpp;
        double meanRadiusUm = 0, meanSquaredRadiusUm2 = 0;
        foreach (NucleusKind kind in NucleusKinds)
        {
            double a = kind.MinRadiusUm, b = kind.MaxRadiusUm;
            meanRadiusUm += kind.Probability * (a + b) / 2;
            // E[r²] for r uniform on [a, b] is (a² + ab + b²) / 3.
            meanSquaredRadiusUm2 += kind.Probability * (a * a + a * b + b * b) / 3;
        }
        _meanNucleusRadiusPx = meanRadiusUm / _mpp;
        _nucleusAreaPerCellFraction = Math.PI * meanSquaredRadiusUm2 / (NucleusCellUm * NucleusCellUm);
        // One fibre direction per slide: a direction varying in space would make the phase non-linear between
        // lattice nodes; the warp noise bends the fibres instead.
        double fibreAngle = Math.PI * SyntheticHash.Unit(SyntheticHash.Hash(_seed, (long)ChannelFibreAngle, 0));
        _fibreCos = Math.Cos(fibreAngle);
        _fibreSin = Math.Sin(fibreAngle);
        _fibreWaveNumber = 2 * Math.PI / (FibreWavelengthUm / _mpp);
        _density = new NoiseField(_seed, ChannelDensity, DensityWavelengthUm / _mpp);
        _tint = new NoiseField(_seed, ChannelTint, TintWavelengthUm / _mpp);
        _tintDetail = new NoiseField(_seed, ChannelTintDetail, TintDetailWavelengthUm / _mpp);
        _mottle = new NoiseField(_seed, ChannelMottle, MottleWavelengthUm / _mpp);
        _fineMottle = new NoiseField(_seed, ChannelFineMottle, FineMottleWavelengthUm / _mpp);
        _glassShade = new NoiseField(_seed, ChannelGlass, GlassShadeWavelengthUm / _mpp);
        _fibreWarp = new NoiseField(_seed, ChannelFibreWarp, FibreWarpWavelengthUm / _mpp);
        _fibreDetailWarp = new NoiseField(_seed, ChannelFibreDetailWarp, FibreDetailWarpWavelengthUm / _mpp);
        _fibreStrength = new NoiseField(_seed, ChannelFibreStrength, FibreStrengthWavelengthUm / _mpp);

        _tumourCellPx = TumourCellUm / _mpp;
        _tumourEdgePx = TumourEdgeUm / _mpp;
        _tumourBorder = new NoiseField(_seed, ChannelTumourBorder, TumourBorderWavelengthUm / _mpp);
        {
            double a = TumourNucleus.MinRadiusUm, b = TumourNucleus.MaxRadiusUm;
            // Tumour nuclei overlap, so their cover saturates: Poisson-like 1 - exp(-expected area per unit area).
            _tumourCover = 1 - Math.Exp(-TumourDensity * Math.PI * (a * a + a * b + b * b) / 3 / (TumourCellUm * TumourCellUm));
        }

        // Stain intensity scales absorbance (distance from white); at 1 the colours are the constants themselves.
        double eosin = spec.Stain.Eosin, haematoxylin = spec.Stain.Haematoxylin;
        _stromaLight = Absorb(StromaLight, eosin);
        _stromaDeep = Absorb(StromaDeep, eosin);
        _tumourCytoplasm = Absorb(TumourCytoplasm, eosin);
        _fibre = new Rgb((float)(FibreR * eosin), (float)(FibreG * eosin), (float)(FibreB * eosin));
        _nucleusAbsorbance = new Rgb((float)(NucleusAbsorbanceR * haematoxylin), (float)(NucleusAbsorbanceG * haematoxylin), (float)(NucleusAbsorbanceB * haematoxylin));

        var segments = new List<PenSegment>();
        foreach (PenStroke stroke in spec.PenStrokes)
        {
            var points = stroke.Points;
            if (points.Count == 1) segments.Add(new PenSegment(points[0].X, points[0].Y, points[0].X, points[0].Y, stroke.WidthPx, stroke.Color));
            for (int i = 1; i < points.Count; i++)
            {
                segments.Add(new PenSegment(points[i - 1].X, points[i - 1].Y, points[i].X, points[i].Y, stroke.WidthPx, stroke.Color));
            }
        }
        _penSegments = [.. segments];
    }

    /// <summary>
    /// Renders the <paramref name="width"/> x <paramref name="height"/> pixels whose top-left output pixel is
    /// (<paramref name="x"/>, <paramref name="y"/>) at <paramref name="downsample"/> (output pixel i covers level-0
    /// [i·d, (i+1)·d)) into <paramref name="destination"/>, reallocated as CV_8UC3 BGR when needed.
    /// </summary>
    public void Render(double downsample, long x, long y, int width, int height, Mat destination, SyntheticRenderScratch scratch)
    {
        // The canvas starts on a node column and spans whole node cells, so each 8-pixel vector of the compose loop
        // lies in one lattice cell.
        long left = FloorDiv(x - MarginPx, NodeSpacingPx) * NodeSpacingPx;
        long right = (FloorDiv(x + width + MarginPx - 1, NodeSpacingPx) + 1) * NodeSpacingPx;
        int cw = (int)(right - left);
        int ch = height + 2 * MarginPx;
        var frame = new Frame(downsample, left, y - MarginPx, cw, ch);
        scratch.Ensure(cw, ch);

        Coverage coverage = ClassifyTissue(frame, scratch);
        FindNearFoci(frame, scratch, coverage);
        bool drawNuclei = coverage != Coverage.Glass && _meanNucleusRadiusPx / downsample >= 1;
        if (drawNuclei) DrawNuclei(frame, scratch);
        bool anyPen = DrawPen(frame, scratch);
        float fibreAmplitude = ComputeNodes(frame, scratch, coverage != Coverage.Glass, drawNuclei);
        Compose(frame, scratch, coverage, drawNuclei, fibreAmplitude, anyPen);

        using Mat inner = scratch.Canvas[new Rect((int)(x - left), MarginPx, width, height)];
        // Inside a larger Mat, OpenCV's filters read the real pixels around the ROI, i.e. the rendered margin.
        Cv2.GaussianBlur(inner, destination, new Size(3, 3), BlurSigmaPx, BlurSigmaPx);
    }

    private enum Coverage
    {
        Glass,
        Solid,
        Mixed,
    }

    /// <summary>The canvas: <see cref="Width"/> x <see cref="Height"/> output pixels from (<see cref="X"/>, <see cref="Y"/>), margin included.</summary>
    private readonly record struct Frame(double Downsample, long X, long Y, int Width, int Height)
    {
        public double Level0Left => X * Downsample;
        public double Level0Top => Y * Downsample;
        public double Level0Right => (X + Width) * Downsample;
        public double Level0Bottom => (Y + Height) * Downsample;

        /// <summary>Level-0 coordinate of a canvas pixel's centre.</summary>
        public double Level0X(int i) => (X + i + 0.5) * Downsample;
        public double Level0Y(int j) => (Y + j + 0.5) * Downsample;

        /// <summary>
        /// Output-pixel coordinate (pixel-centre units, independent of the canvas) of a level-0 coordinate.
        /// Distances are taken between these and exact integer pixel positions, so that a pixel gets bit-identical
        /// values whichever canvas renders it.
        /// </summary>
        public double OutputX(double level0X) => level0X / Downsample - 0.5;
        public double OutputY(double level0Y) => level0Y / Downsample - 0.5;
    }

    private readonly record struct PenSegment(double Ax, double Ay, double Bx, double By, double WidthPx, PenColor Color);

    private readonly record struct Rgb(float R, float G, float B);

    private readonly record struct NucleusKind(double Probability, double MinRadiusUm, double MaxRadiusUm, double MinElongation,
        double MaxElongation, double MinShade, double MaxShade, bool AlongFibres);

    private enum Relation
    {
        Outside,
        Inside,
        Partial,
    }

    /// <summary>
    /// Whether the canvas is all glass, all tissue, or mixed; for mixed canvases fills <see cref="SyntheticRenderScratch.Alpha"/>
    /// with the tissue coverage of each pixel.
    /// </summary>
    private Coverage ClassifyTissue(Frame frame, SyntheticRenderScratch scratch)
    {
        double edge = EdgeWidthPx * frame.Downsample;
        bool solid = false;
        List<SyntheticEllipse> partialTissue = scratch.PartialTissue;
        List<SyntheticEllipse> partialHoles = scratch.PartialHoles;
        partialTissue.Clear();
        partialHoles.Clear();
        foreach (SyntheticEllipse tissue in _tissue)
        {
            switch (Relate(tissue, frame, edge))
            {
                case Relation.Inside: solid = true; break;
                case Relation.Partial: partialTissue.Add(tissue); break;
            }
        }
        if (!solid && partialTissue.Count == 0) return Coverage.Glass;
        if (solid) partialTissue.Clear(); // tissue never overlaps, so no other section reaches into a solid canvas
        foreach (SyntheticEllipse hole in _holes)
        {
            switch (Relate(hole, frame, edge))
            {
                case Relation.Inside: return Coverage.Glass;
                case Relation.Partial: partialHoles.Add(hole); break;
            }
        }
        if (solid && partialHoles.Count == 0) return Coverage.Solid;

        float[] alpha = scratch.Alpha;
        double inverseEdge = 1 / edge;
        for (int j = 0; j < frame.Height; j++)
        {
            double y0 = frame.Level0Y(j);
            int row = j * frame.Width;
            for (int i = 0; i < frame.Width; i++)
            {
                double x0 = frame.Level0X(i);
                double a = 1;
                if (!solid)
                {
                    a = 0;
                    foreach (SyntheticEllipse tissue in partialTissue) a += SoftInside(tissue, x0, y0, inverseEdge);
                    if (a > 1) a = 1;
                }
                foreach (SyntheticEllipse hole in partialHoles) a *= 1 - SoftInside(hole, x0, y0, inverseEdge);
                alpha[row + i] = (float)a;
            }
        }
        return Coverage.Mixed;
    }

    /// <summary>
    /// How the canvas lies relative to the ellipse's soft edge. "Inside" uses the ellipse shrunk by twice the edge,
    /// which by convexity contains the whole canvas when it contains the corners, and where <see cref="SoftInside"/>
    /// is exactly 1 (its distance estimate there is at least (1 - q)·min(rx, ry)).
    /// </summary>
    private static Relation Relate(SyntheticEllipse e, Frame frame, double edge)
    {
        if (frame.Level0Right < e.CenterX - e.RadiusX - edge || frame.Level0Left > e.CenterX + e.RadiusX + edge
            || frame.Level0Bottom < e.CenterY - e.RadiusY - edge || frame.Level0Top > e.CenterY + e.RadiusY + edge)
        {
            return Relation.Outside;
        }
        double shrink = 1 - 2 * edge / Math.Min(e.RadiusX, e.RadiusY);
        if (shrink > 0)
        {
            double limit = shrink * shrink;
            if (e.NormalizedSquared(frame.Level0Left, frame.Level0Top) <= limit && e.NormalizedSquared(frame.Level0Right, frame.Level0Top) <= limit
                && e.NormalizedSquared(frame.Level0Left, frame.Level0Bottom) <= limit && e.NormalizedSquared(frame.Level0Right, frame.Level0Bottom) <= limit)
            {
                return Relation.Inside;
            }
        }
        return Relation.Partial;
    }

    /// <summary>
    /// Anti-aliased inside-ness: 1 inside, 0 outside, a linear ramp one edge width wide centred on the boundary, using
    /// the first-order distance (q - 1) / |∇q| with q the normalised radius.
    /// </summary>
    private static double SoftInside(SyntheticEllipse e, double x, double y, double inverseEdge)
    {
        double invRx = 1 / e.RadiusX, invRy = 1 / e.RadiusY;
        double u = (x - e.CenterX) * invRx;
        double v = (y - e.CenterY) * invRy;
        double q = Math.Sqrt(u * u + v * v);
        double gradient = Math.Sqrt(u * u * invRx * invRx + v * v * invRy * invRy);
        if (gradient < 1e-300) return 1; // the centre
        double distance = (q - 1) * q / gradient;
        return Math.Clamp(0.5 - distance * inverseEdge, 0, 1);
    }

    /// <summary>Collects the foci whose tumour (border wander and margin included) can reach the canvas or its nuclei's cells.</summary>
    private void FindNearFoci(Frame frame, SyntheticRenderScratch scratch, Coverage coverage)
    {
        List<SyntheticEllipse> near = scratch.NearFoci;
        near.Clear();
        if (coverage == Coverage.Glass) return;
        // Nuclei are drawn from cells up to two cells beyond the canvas.
        double margin = _tumourEdgePx + 2 * Math.Max(_cellPx, _tumourCellPx);
        foreach (SyntheticEllipse focus in _foci)
        {
            double reachX = focus.RadiusX * (1 + TumourBorderAmplitude) + margin;
            double reachY = focus.RadiusY * (1 + TumourBorderAmplitude) + margin;
            if (frame.Level0Right >= focus.CenterX - reachX && frame.Level0Left <= focus.CenterX + reachX
                && frame.Level0Bottom >= focus.CenterY - reachY && frame.Level0Top <= focus.CenterY + reachY)
            {
                near.Add(focus);
            }
        }
    }

    /// <summary>
    /// How much tumour is at a level-0 point, 0 to 1: the foci's inside-ness with their border wandering by
    /// <see cref="TumourBorderAmplitude"/> of the radius, ramped over <see cref="TumourEdgeUm"/> like an infiltrative front.
    /// </summary>
    private double TumourWeight(List<SyntheticEllipse> foci, double x0, double y0)
    {
        double weight = 0;
        foreach (SyntheticEllipse focus in foci)
        {
            double invRx = 1 / focus.RadiusX, invRy = 1 / focus.RadiusY;
            double u = (x0 - focus.CenterX) * invRx;
            double v = (y0 - focus.CenterY) * invRy;
            double qSquared = u * u + v * v;
            double reach = 1 + TumourBorderAmplitude + _tumourEdgePx / Math.Min(focus.RadiusX, focus.RadiusY);
            if (qSquared >= reach * reach) continue;
            double q = Math.Sqrt(qSquared);
            double gradient = Math.Sqrt(u * u * invRx * invRx + v * v * invRy * invRy);
            if (gradient < 1e-300) return 1; // the centre
            double wander = 1 + TumourBorderAmplitude * _tumourBorder.Sample(x0, y0);
            // First-order distance to the wandering boundary, as in SoftInside.
            double distance = (q / wander - 1) * q / gradient;
            weight = Math.Max(weight, Math.Clamp(0.5 - distance / _tumourEdgePx, 0, 1));
            if (weight >= 1) break;
        }
        return weight;
    }

    /// <summary>Nuclear density in [DensityMin, DensityMax] at a level-0 point: the probability a cell holds a nucleus.</summary>
    private double DensityAt(double x0, double y0) =>
        DensityMin + (DensityMax - DensityMin) * (0.5 + 0.5 * _density.Sample(x0, y0));

    /// <summary>Rasterises the nuclei of every cell that can touch the canvas into the coverage and shade buffers.</summary>
    private void DrawNuclei(Frame frame, SyntheticRenderScratch scratch)
    {
        float[] coverage = scratch.NucleusCoverage;
        float[] shade = scratch.NucleusShade;
        Array.Clear(coverage, 0, frame.Width * frame.Height);
        long firstI = (long)Math.Floor(frame.Level0Left / _cellPx) - 1, lastI = (long)Math.Floor(frame.Level0Right / _cellPx) + 1;
        long firstJ = (long)Math.Floor(frame.Level0Top / _cellPx) - 1, lastJ = (long)Math.Floor(frame.Level0Bottom / _cellPx) + 1;
        ulong nucleiSeed = SyntheticHash.Mix(_seed ^ ChannelNuclei);
        ulong replacesSeed = SyntheticHash.Mix(_seed ^ ChannelTumourReplaces);
        List<SyntheticEllipse> nearFoci = scratch.NearFoci;

        for (long cj = firstJ; cj <= lastJ; cj++)
        {
            for (long ci = firstI; ci <= lastI; ci++)
            {
                var random = new SplitMix64(SyntheticHash.Hash(nucleiSeed, ci, cj));
                if (random.NextDouble() >= DensityAt((ci + 0.5) * _cellPx, (cj + 0.5) * _cellPx)) continue;
                // Tumour displaces most of the normal cells (an independent draw, so slides without foci keep theirs).
                if (nearFoci.Count > 0
                    && SyntheticHash.Unit(SyntheticHash.Hash(replacesSeed, ci, cj)) < TumourReplacesNormal * TumourWeight(nearFoci, (ci + 0.5) * _cellPx, (cj + 0.5) * _cellPx))
                {
                    continue;
                }

                NucleusKind kind = WeightedChoice.Pick(NucleusKinds, candidate => candidate.Probability, random.NextDouble());
                double radius = random.Range(kind.MinRadiusUm, kind.MaxRadiusUm) / _mpp;
                double elongation = Math.Sqrt(random.Range(kind.MinElongation, kind.MaxElongation));
                double jitter = random.Range(-0.35, 0.35);
                // Fibres run perpendicular to the phase gradient (cos, sin).
                double angle = kind.AlongFibres ? Math.Atan2(_fibreCos, -_fibreSin) + jitter : random.Range(0, Math.PI);
                float nucleusShade = (float)random.Range(kind.MinShade, kind.MaxShade);
                double rx = radius * elongation, ry = radius / elongation;
                // Keep the centre far enough inside its cell that neighbours rarely overlap, so the expected
                // coverage used at coarse levels matches what fine levels draw.
                double slack = Math.Max(0, _cellPx - 1.2 * rx);
                double cx = ci * _cellPx + (_cellPx - slack) / 2 + random.NextDouble() * slack;
                double cy = cj * _cellPx + (_cellPx - slack) / 2 + random.NextDouble() * slack;

                RasterNucleus(frame, coverage, shade, cx, cy, rx, ry, angle, nucleusShade);
            }
        }

        if (nearFoci.Count > 0) DrawTumourNuclei(frame, coverage, shade, nearFoci);
    }

    /// <summary>The tumour's own nuclei, one candidate per cell of a finer grid, present with the tumour weight.</summary>
    private void DrawTumourNuclei(Frame frame, float[] coverage, float[] shade, List<SyntheticEllipse> nearFoci)
    {
        long firstI = (long)Math.Floor(frame.Level0Left / _tumourCellPx) - 1, lastI = (long)Math.Floor(frame.Level0Right / _tumourCellPx) + 1;
        long firstJ = (long)Math.Floor(frame.Level0Top / _tumourCellPx) - 1, lastJ = (long)Math.Floor(frame.Level0Bottom / _tumourCellPx) + 1;
        ulong tumourSeed = SyntheticHash.Mix(_seed ^ ChannelTumourNuclei);
        NucleusKind kind = TumourNucleus;
        for (long cj = firstJ; cj <= lastJ; cj++)
        {
            for (long ci = firstI; ci <= lastI; ci++)
            {
                double weight = TumourWeight(nearFoci, (ci + 0.5) * _tumourCellPx, (cj + 0.5) * _tumourCellPx);
                if (weight <= 0) continue;
                var random = new SplitMix64(SyntheticHash.Hash(tumourSeed, ci, cj));
                if (random.NextDouble() >= weight * TumourDensity) continue;

                // Pleomorphism: size, shape and orientation vary widely from cell to cell.
                double radius = random.Range(kind.MinRadiusUm, kind.MaxRadiusUm) / _mpp;
                double elongation = Math.Sqrt(random.Range(kind.MinElongation, kind.MaxElongation));
                double angle = random.Range(0, Math.PI);
                float nucleusShade = (float)random.Range(kind.MinShade, kind.MaxShade);
                // Crowding: centres jitter freely and neighbours overlap.
                double cx = (ci + 0.5 + random.Range(-TumourJitter, TumourJitter)) * _tumourCellPx;
                double cy = (cj + 0.5 + random.Range(-TumourJitter, TumourJitter)) * _tumourCellPx;
                RasterNucleus(frame, coverage, shade, cx, cy, radius * elongation, radius / elongation, angle, nucleusShade);
            }
        }
    }

    /// <summary>Rasterises one elliptical nucleus (level-0 centre and radii) into the coverage and shade buffers, keeping the larger coverage.</summary>
    private static void RasterNucleus(Frame frame, float[] coverage, float[] shade, double cx, double cy, double rx, double ry, double angle, float nucleusShade)
    {
        double d = frame.Downsample;
        double outX = frame.OutputX(cx), outY = frame.OutputY(cy);
        double rxOut = rx / d, ryOut = ry / d;
        double cos = Math.Cos(angle), sin = Math.Sin(angle);
        // Half extents of the rotated ellipse's bounding box.
        double halfX = Math.Sqrt(rxOut * rxOut * cos * cos + ryOut * ryOut * sin * sin);
        double halfY = Math.Sqrt(rxOut * rxOut * sin * sin + ryOut * ryOut * cos * cos);
        int x0 = (int)Math.Max(0, (long)Math.Floor(outX - halfX - 1) - frame.X), x1 = (int)Math.Min(frame.Width - 1, (long)Math.Ceiling(outX + halfX + 1) - frame.X);
        int y0 = (int)Math.Max(0, (long)Math.Floor(outY - halfY - 1) - frame.Y), y1 = (int)Math.Min(frame.Height - 1, (long)Math.Ceiling(outY + halfY + 1) - frame.Y);
        if (x0 > x1 || y0 > y1) return;

        double invRx = 1 / rxOut, invRy = 1 / ryOut;
        // Beyond this normalised radius the distance to the edge is at least half a pixel: no coverage.
        double outer = 1 + 0.5 / Math.Min(rxOut, ryOut);
        double outerSquared = outer * outer;
        for (int j = y0; j <= y1; j++)
        {
            double dy = (frame.Y + j) - outY;
            int row = j * frame.Width;
            for (int i = x0; i <= x1; i++)
            {
                double dx = (frame.X + i) - outX;
                double u = (dx * cos + dy * sin) * invRx;
                double v = (dy * cos - dx * sin) * invRy;
                double qSquared = u * u + v * v;
                if (qSquared >= outerSquared) continue;
                double q = Math.Sqrt(qSquared);
                double gradient = Math.Sqrt(u * u * invRx * invRx + v * v * invRy * invRy);
                double c = gradient < 1e-300 ? 1 : Math.Clamp(0.5 - (q - 1) * q / gradient, 0, 1);
                if (c > coverage[row + i])
                {
                    coverage[row + i] = (float)c;
                    // Chromatin gathers under the nuclear membrane: a darker rim.
                    double rim = Math.Clamp((q - 0.55) / 0.4, 0, 1);
                    shade[row + i] = nucleusShade * (float)(1 + 0.15 * rim * rim * (3 - 2 * rim));
                }
            }
        }
    }

    /// <summary>Rasterises pen segments into the pen alpha and colour buffers; false when none touches the canvas.</summary>
    private bool DrawPen(Frame frame, SyntheticRenderScratch scratch)
    {
        bool any = false;
        double d = frame.Downsample;
        float[] alpha = scratch.PenAlpha;
        byte[] color = scratch.PenColorIndex;
        foreach (PenSegment segment in _penSegments)
        {
            double halfWidth = segment.WidthPx / 2 / d;
            // Lines thinner than a pixel keep a one-pixel footprint at proportionally lower opacity.
            double opacity = Math.Min(1, 2 * halfWidth);
            double reach = Math.Max(halfWidth, 0.5);
            double ax = frame.OutputX(segment.Ax), ay = frame.OutputY(segment.Ay);
            double bx = frame.OutputX(segment.Bx), by = frame.OutputY(segment.By);
            int x0 = (int)Math.Max(0, (long)Math.Floor(Math.Min(ax, bx) - reach - 1) - frame.X), x1 = (int)Math.Min(frame.Width - 1, (long)Math.Ceiling(Math.Max(ax, bx) + reach + 1) - frame.X);
            int y0 = (int)Math.Max(0, (long)Math.Floor(Math.Min(ay, by) - reach - 1) - frame.Y), y1 = (int)Math.Min(frame.Height - 1, (long)Math.Ceiling(Math.Max(ay, by) + reach + 1) - frame.Y);
            if (x0 > x1 || y0 > y1) continue;
            if (!any)
            {
                Array.Clear(alpha, 0, frame.Width * frame.Height);
                any = true;
            }

            double ex = bx - ax, ey = by - ay;
            double lengthSquared = ex * ex + ey * ey;
            byte colorIndex = (byte)segment.Color;
            for (int j = y0; j <= y1; j++)
            {
                int row = j * frame.Width;
                for (int i = x0; i <= x1; i++)
                {
                    double px = (frame.X + i) - ax, py = (frame.Y + j) - ay;
                    double t = lengthSquared > 0 ? Math.Clamp((px * ex + py * ey) / lengthSquared, 0, 1) : 0;
                    double dx = px - t * ex, dy = py - t * ey;
                    double distance = Math.Sqrt(dx * dx + dy * dy);
                    double a = Math.Clamp(reach + 0.5 - distance, 0, 1) * opacity;
                    if (a > alpha[row + i])
                    {
                        alpha[row + i] = (float)a;
                        color[row + i] = colorIndex;
                    }
                }
            }
        }
        return any;
    }

    /// <summary>
    /// Evaluates the low-frequency fields (stroma colour, expected nuclear cover, fibre phase, glass shading) on the
    /// node lattice; returns the fibre contrast for this downsample (0 when fibres would alias).
    /// </summary>
    private float ComputeNodes(Frame frame, SyntheticRenderScratch scratch, bool tissue, bool drawNuclei)
    {
        // The canvas starts on a node column and spans whole cells (see Render), so node a covers pixels 8a..8a+7.
        long firstA = FloorDiv(frame.X, NodeSpacingPx);
        long firstB = FloorDiv(frame.Y, NodeSpacingPx), lastB = FloorDiv(frame.Y + frame.Height - 1, NodeSpacingPx) + 1;
        int nx = frame.Width / NodeSpacingPx + 1, ny = (int)(lastB - firstB + 1);
        scratch.EnsureNodes(nx, ny);
        scratch.NodeColumns = nx;
        for (int j = 0; j < frame.Height; j++)
        {
            long gy = frame.Y + j;
            long b = FloorDiv(gy, NodeSpacingPx);
            scratch.RowNode[j] = (int)(b - firstB);
            scratch.RowFraction[j] = (float)(gy - b * NodeSpacingPx) / NodeSpacingPx;
        }

        double d = frame.Downsample;
        // Texture finer than the node lattice would alias into blotches, so it fades out as the lattice coarsens;
        // its mean is zero, so levels keep the same mean colour.
        double mottle = Attenuation(NodeSpacingPx * d * _mpp / MottleWavelengthUm);
        double fineMottle = 0.6 * Attenuation(NodeSpacingPx * d * _mpp / FineMottleWavelengthUm);
        // Fibres need a few output pixels per wave or they alias into moiré.
        double fibreWavelengthPx = FibreWavelengthUm / _mpp / d;
        bool fibres = tissue && fibreWavelengthPx > MinFibreWavelengthPx;

        // Slowly varying fields are evaluated on every fourth node (globally aligned, so tiles agree) and
        // interpolated in between, when that lattice is still fine against their shortest wavelength; value noise
        // costs more than everything else per node.
        int factor = CoarseFactor * NodeSpacingPx * d * _mpp <= 0.3 * FibreStrengthWavelengthUm ? CoarseFactor : 1;
        long firstCA = FloorDiv(firstA, factor), lastCA = FloorDiv(firstA + nx - 1, factor) + 1;
        long firstCB = FloorDiv(firstB, factor), lastCB = FloorDiv(lastB, factor) + 1;
        int cnx = (int)(lastCA - firstCA + 1), cny = (int)(lastCB - firstCB + 1);
        scratch.EnsureCoarseNodes(cnx * cny);
        float[][] coarse = scratch.CoarseNodes;
        for (int cb = 0; cb < cny; cb++)
        {
            double y0 = ((firstCB + cb) * factor * NodeSpacingPx + 0.5) * d;
            for (int ca = 0; ca < cnx; ca++)
            {
                double x0 = ((firstCA + ca) * factor * NodeSpacingPx + 0.5) * d;
                int n = cb * cnx + ca;
                coarse[SlowGlassShade][n] = (float)(2.5 * _glassShade.Sample(x0, y0));
                if (!tissue) continue;
                coarse[SlowTint][n] = (float)(0.5 + 0.5 * (0.65 * _tint.Sample(x0, y0) + 0.35 * _tintDetail.Sample(x0, y0)));
                // Where nuclei are smaller than a pixel their colour blends into the stroma by their expected cover.
                coarse[SlowNucleusCover][n] = drawNuclei ? 0 : (float)Math.Min(1, DensityAt(x0, y0) * _nucleusAreaPerCellFraction);
                // Fibres come in bundles, with looser stroma between them.
                coarse[SlowFibreStrength][n] = fibres ? (float)Math.Clamp(0.45 + 0.9 * _fibreStrength.Sample(x0, y0), 0, 1) : 0;
            }
        }

        float[][] nodes = scratch.Nodes;
        List<SyntheticEllipse> nearFoci = scratch.NearFoci;
        bool nearTumour = tissue && nearFoci.Count > 0;
        int slowCount = tissue ? SlowFieldCount : 1;
        Span<float> slow = stackalloc float[SlowFieldCount];
        for (int b = 0; b < ny; b++)
        {
            long nodeB = firstB + b;
            long cb = FloorDiv(nodeB, factor);
            float ty = (float)(nodeB - cb * factor) / factor;
            int coarseTop = (int)(cb - firstCB) * cnx, coarseBottom = coarseTop + cnx;
            double y0 = (nodeB * NodeSpacingPx + 0.5) * d;
            for (int a = 0; a < nx; a++)
            {
                long nodeA = firstA + a;
                long ca = FloorDiv(nodeA, factor);
                float tx = (float)(nodeA - ca * factor) / factor;
                int c = (int)(ca - firstCA);
                for (int f = 0; f < slowCount; f++)
                {
                    float[] field = coarse[f];
                    float top = field[coarseTop + c] + (field[coarseTop + c + 1] - field[coarseTop + c]) * tx;
                    float bottom = field[coarseBottom + c] + (field[coarseBottom + c + 1] - field[coarseBottom + c]) * tx;
                    slow[f] = top + (bottom - top) * ty;
                }

                int n = b * nx + a;
                nodes[NodeGlassShade][n] = slow[SlowGlassShade];
                if (!tissue) continue;

                double x0 = (nodeA * NodeSpacingPx + 0.5) * d;
                double t = slow[SlowTint];
                double m = 0;
                if (mottle > 0) m += mottle * _mottle.Sample(x0, y0);
                if (fineMottle > 0) m += fineMottle * _fineMottle.Sample(x0, y0);
                double stromaR = _stromaLight.R + (_stromaDeep.R - _stromaLight.R) * t;
                double stromaG = _stromaLight.G + (_stromaDeep.G - _stromaLight.G) * t;
                double stromaB = _stromaLight.B + (_stromaDeep.B - _stromaLight.B) * t;
                float nucleusCover = slow[SlowNucleusCover], fibreStrength = slow[SlowFibreStrength];
                if (nearTumour && TumourWeight(nearFoci, x0, y0) is > 0 and var tumour)
                {
                    // Tumour cells' pale cytoplasm replaces most of the pink collagen.
                    double cytoplasm = TumourCytoplasmWeight * tumour;
                    stromaR += (_tumourCytoplasm.R - stromaR) * cytoplasm;
                    stromaG += (_tumourCytoplasm.G - stromaG) * cytoplasm;
                    stromaB += (_tumourCytoplasm.B - stromaB) * cytoplasm;
                    fibreStrength *= (float)(1 - (1 - TumourFibreRemaining) * tumour);
                    if (!drawNuclei)
                    {
                        double normalCover = nucleusCover * (1 - TumourReplacesNormal * tumour);
                        nucleusCover = (float)(normalCover + (1 - normalCover) * _tumourCover * tumour);
                    }
                }
                nodes[NodeStromaR][n] = (float)(stromaR + MottleAmplitude.R * m);
                nodes[NodeStromaG][n] = (float)(stromaG + MottleAmplitude.G * m);
                nodes[NodeStromaB][n] = (float)(stromaB + MottleAmplitude.B * m);
                nodes[NodeNucleusCover][n] = nucleusCover;
                nodes[NodeFibreStrength][n] = fibreStrength;
                // The phase is linear along the lattice but for the warp, which is smooth on the lattice's scale, so
                // bilinear interpolation reproduces it: per pixel only a sine remains. The warp bends quickly, so it
                // stays on the fine lattice.
                if (fibres)
                {
                    nodes[NodeFibrePhase][n] = (float)(_fibreWaveNumber * (x0 * _fibreCos + y0 * _fibreSin)
                        + FibreWarpRadians * _fibreWarp.Sample(x0, y0)
                        + FibreDetailWarpRadians * _fibreDetailWarp.Sample(x0, y0));
                }
            }
        }
        return fibres ? (float)Math.Min(1, (fibreWavelengthPx - MinFibreWavelengthPx) / MinFibreWavelengthPx) : 0;
    }

    private const int CoarseFactor = 4;
    internal const int SlowGlassShade = 0, SlowTint = 1, SlowNucleusCover = 2, SlowFibreStrength = 3, SlowFieldCount = 4;

    private static double Attenuation(double latticeToWavelength) => Math.Clamp((0.5 - latticeToWavelength) / 0.25, 0, 1);

    internal const int NodeStromaR = 0, NodeStromaG = 1, NodeStromaB = 2, NodeNucleusCover = 3, NodeFibrePhase = 4, NodeFibreStrength = 5, NodeGlassShade = 6, NodeFieldCount = 7;

    private const double MinFibreWavelengthPx = 4;

    /// <summary>
    /// Combines glass, stroma, nuclei and pen into the BGR canvas, adding per-pixel noise, eight pixels at a time:
    /// each vector covers one node cell, so a field's horizontal interpolation is one multiply-add of its two nodes.
    /// </summary>
    private unsafe void Compose(Frame frame, SyntheticRenderScratch scratch, Coverage coverage, bool drawNuclei, float fibreAmplitude, bool anyPen)
    {
        // Everything the loop touches lives in locals: the JIT cannot hoist field loads past the stores.
        int width = frame.Width, height = frame.Height;
        long frameX = frame.X, frameY = frame.Y;
        int nx = scratch.NodeColumns;
        float[][] nodes = scratch.Nodes;
        float[][] rowValues = scratch.RowValues;
        float[] alphaBuffer = scratch.Alpha;
        float[] nucleusCoverage = scratch.NucleusCoverage, nucleusShade = scratch.NucleusShade;
        float[] penAlpha = scratch.PenAlpha;
        byte[] penColorIndex = scratch.PenColorIndex;
        float[] glassShade = rowValues[NodeGlassShade];
        float[] stromaR = rowValues[NodeStromaR], stromaG = rowValues[NodeStromaG], stromaB = rowValues[NodeStromaB];
        float[] nucleusCover = rowValues[NodeNucleusCover], fibrePhase = rowValues[NodeFibrePhase], fibreStrength = rowValues[NodeFibreStrength];
        byte* planeB = (byte*)scratch.PlaneB.DataPointer, planeG = (byte*)scratch.PlaneG.DataPointer, planeR = (byte*)scratch.PlaneR.DataPointer;
        uint pixelSeed = (uint)SyntheticHash.Mix(_seed ^ ChannelPixels ^ BitConverter.DoubleToUInt64Bits(frame.Downsample));
        bool tissue = coverage != Coverage.Glass;
        int firstField = tissue ? 0 : NodeGlassShade;
        int lastField = tissue ? NodeFieldCount : NodeGlassShade + 1;
        bool fibres = fibreAmplitude > 0;
        float fibreR = _fibre.R, fibreG = _fibre.G, fibreB = _fibre.B;
        float absorbanceR = _nucleusAbsorbance.R, absorbanceG = _nucleusAbsorbance.G, absorbanceB = _nucleusAbsorbance.B;

        Vector256<float> ramp = Vector256.Create(0f, 1, 2, 3, 4, 5, 6, 7) * (1f / NodeSpacingPx);
        Vector256<uint> lanes = Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
        Vector256<float> zero = Vector256<float>.Zero, one = Vector256<float>.One;
        Span<float> laneR = stackalloc float[8], laneG = stackalloc float[8], laneB = stackalloc float[8], laneNoise = stackalloc float[8];

        for (int j = 0; j < height; j++)
        {
            // Interpolate the node lattice vertically once per row.
            int b = scratch.RowNode[j];
            float fy = scratch.RowFraction[j];
            int top = b * nx, bottom = (b + 1) * nx;
            for (int f = firstField; f < lastField; f++)
            {
                if (f == NodeFibrePhase && !fibres) continue;
                float[] field = nodes[f];
                float[] row = rowValues[f];
                for (int a = 0; a < nx; a++) row[a] = field[top + a] + (field[bottom + a] - field[top + a]) * fy;
            }

            uint rowHash = SyntheticHash.Mix32(unchecked((uint)(frameY + j) * 0x9E3779B1U ^ pixelSeed));
            int rowStart = j * width;
            for (int a = 0, i = 0; i < width; a++, i += 8)
            {
                int index = rowStart + i;
                Vector256<uint> h = Mix32(((Vector256.Create(unchecked((uint)(frameX + i))) + lanes) * 0x85EBCA6BU) + Vector256.Create(rowHash));
                // Triangular luminance noise in [-1, 1] and two uniform chroma terms.
                Vector256<float> luma = Vector256.ConvertToSingle((h & Vector256.Create(0xFFu)).AsInt32() + ((h >> 8) & Vector256.Create(0xFFu)).AsInt32() - Vector256.Create(255))
                    * (1f / 255);
                Vector256<float> chromaA = (Vector256.ConvertToSingle(((h >> 16) & Vector256.Create(0xFFu)).AsInt32()) - Vector256.Create(127.5f)) * (1f / 127.5f);
                Vector256<float> chromaB = (Vector256.ConvertToSingle((h >> 24).AsInt32()) - Vector256.Create(127.5f)) * (1f / 127.5f);

                Vector256<float> alpha = coverage switch
                {
                    Coverage.Solid => one,
                    Coverage.Mixed => Vector256.LoadUnsafe(ref alphaBuffer[index]),
                    _ => zero,
                };
                bool anyTissue = coverage == Coverage.Solid || (coverage == Coverage.Mixed && Vector256.GreaterThanAny(alpha, zero));
                bool allTissue = coverage == Coverage.Solid;

                Vector256<float> r = zero, g = zero, bl = zero;
                if (!allTissue)
                {
                    Vector256<float> shade = Lerp(glassShade, a, ramp) + luma * 1.6f;
                    r = shade + Vector256.Create(GlassR);
                    g = shade + Vector256.Create(GlassG);
                    bl = shade + Vector256.Create(GlassB) + chromaA * 0.5f;
                }
                if (anyTissue)
                {
                    Vector256<float> tr = Lerp(stromaR, a, ramp), tg = Lerp(stromaG, a, ramp), tb = Lerp(stromaB, a, ramp);
                    if (fibres)
                    {
                        Vector256<float> wave = FastSin(Lerp(fibrePhase, a, ramp));
                        // wave·|wave| narrows the ridges into fibres and keeps the mean at zero.
                        Vector256<float> fibre = wave * Vector256.Abs(wave) * fibreAmplitude * Lerp(fibreStrength, a, ramp);
                        tr -= fibre * fibreR;
                        tg -= fibre * fibreG;
                        tb -= fibre * fibreB;
                    }
                    Vector256<float> cover, darkness;
                    if (drawNuclei)
                    {
                        cover = Vector256.LoadUnsafe(ref nucleusCoverage[index]);
                        darkness = Vector256.LoadUnsafe(ref nucleusShade[index]);
                    }
                    else
                    {
                        cover = Lerp(nucleusCover, a, ramp);
                        darkness = one;
                    }
                    // A darker shade scales the nucleus's absorbance (distance from white).
                    tr += (Vector256.Create(255f) - darkness * absorbanceR - tr) * cover;
                    tg += (Vector256.Create(255f) - darkness * absorbanceG - tg) * cover;
                    tb += (Vector256.Create(255f) - darkness * absorbanceB - tb) * cover;
                    // Stain granularity, coarser in chromatin than in stroma.
                    Vector256<float> amplitude = luma * (cover * 16f + Vector256.Create(3.5f));
                    tr += amplitude + chromaA * 1.5f;
                    tg += amplitude;
                    tb += amplitude + chromaB * 1.5f;
                    if (allTissue)
                    {
                        r = tr;
                        g = tg;
                        bl = tb;
                    }
                    else
                    {
                        // This form gives exactly the tissue colour where alpha is 1 and the glass where it is 0, so a
                        // pixel does not depend on whether its canvas was classified solid, mixed or glass.
                        Vector256<float> glassWeight = one - alpha;
                        r = r * glassWeight + tr * alpha;
                        g = g * glassWeight + tg * alpha;
                        bl = bl * glassWeight + tb * alpha;
                    }
                }

                if (anyPen)
                {
                    Vector256<float> pen = Vector256.LoadUnsafe(ref penAlpha[index]);
                    if (Vector256.GreaterThanAny(pen, zero))
                    {
                        // Rare (only along strokes), so the per-lane ink lookup stays scalar.
                        r.CopyTo(laneR);
                        g.CopyTo(laneG);
                        bl.CopyTo(laneB);
                        luma.CopyTo(laneNoise);
                        for (int lane = 0; lane < 8; lane++)
                        {
                            float p = penAlpha[index + lane];
                            if (p <= 0) continue;
                            Rgb ink = PenColors[penColorIndex[index + lane]];
                            float inkNoise = laneNoise[lane] * 5;
                            laneR[lane] = laneR[lane] * (1 - p) + (ink.R + inkNoise) * p;
                            laneG[lane] = laneG[lane] * (1 - p) + (ink.G + inkNoise) * p;
                            laneB[lane] = laneB[lane] * (1 - p) + (ink.B + inkNoise) * p;
                        }
                        r = Vector256.Create<float>(laneR);
                        g = Vector256.Create<float>(laneG);
                        bl = Vector256.Create<float>(laneB);
                    }
                }

                StoreBytes(bl, planeB + index);
                StoreBytes(g, planeG + index);
                StoreBytes(r, planeR + index);
            }
        }
        Cv2.Merge([scratch.PlaneB, scratch.PlaneG, scratch.PlaneR], scratch.Canvas);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Lerp(float[] row, int node, Vector256<float> ramp) =>
        Vector256.Create(row[node]) + Vector256.Create(row[node + 1] - row[node]) * ramp;

    /// <summary><see cref="SyntheticHash.Mix32"/> on eight lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Mix32(Vector256<uint> x)
    {
        x ^= x >> 16;
        x *= 0x7FEB352DU;
        x ^= x >> 15;
        x *= 0x846CA68BU;
        x ^= x >> 16;
        return x;
    }

    /// <summary>
    /// A parabolic sine (within 6% of the true one) for the fibre waves: the texture only needs a smooth periodic
    /// profile, and this costs a few vector operations.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> FastSin(Vector256<float> radians)
    {
        Vector256<float> turns = radians * (1f / (2 * MathF.PI));
        turns -= Vector256.Floor(turns + Vector256.Create(0.5f)); // [-0.5, 0.5)
        return turns * 8f * (Vector256<float>.One - Vector256.Abs(turns) * 2f);
    }

    /// <summary>Rounds, clamps to 0-255 and stores eight values as bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreBytes(Vector256<float> value, byte* destination)
    {
        Vector256<int> rounded = Vector256.ConvertToInt32(Vector256.Min(Vector256.Max(value + Vector256.Create(0.5f), Vector256<float>.Zero), Vector256.Create(255f)));
        Vector128<ushort> words = Vector128.Narrow(rounded.GetLower(), rounded.GetUpper()).AsUInt16();
        Vector128<byte> bytes = Vector128.Narrow(words, words);
        *(ulong*)destination = bytes.AsUInt64().ToScalar();
    }

    /// <summary>Scales a colour's absorbance (its distance from white) by <paramref name="intensity"/>.</summary>
    private static Rgb Absorb(Rgb colour, double intensity) =>
        new((float)(255 - (255 - colour.R) * intensity), (float)(255 - (255 - colour.G) * intensity), (float)(255 - (255 - colour.B) * intensity));

    private static long FloorDiv(long value, long divisor) => value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor);
}

/// <summary>Per-thread buffers for <see cref="SyntheticSceneRenderer"/>, grown on demand and reused tile after tile.</summary>
internal sealed class SyntheticRenderScratch : IDisposable
{
    private int _capacity;
    private int _nodeCapacity;

    public Mat Canvas { get; } = new();
    public Mat PlaneB { get; } = new();
    public Mat PlaneG { get; } = new();
    public Mat PlaneR { get; } = new();
    public float[] Alpha { get; private set; } = [];
    public float[] NucleusCoverage { get; private set; } = [];
    public float[] NucleusShade { get; private set; } = [];
    public float[] PenAlpha { get; private set; } = [];
    public byte[] PenColorIndex { get; private set; } = [];
    public int[] RowNode { get; private set; } = [];
    public float[] RowFraction { get; private set; } = [];
    public float[][] Nodes { get; private set; } = [];
    public float[][] RowValues { get; private set; } = [];
    public float[][] CoarseNodes { get; private set; } = [];
    public int NodeColumns { get; set; }
    public List<SyntheticEllipse> PartialTissue { get; } = [];
    public List<SyntheticEllipse> PartialHoles { get; } = [];
    public List<SyntheticEllipse> NearFoci { get; } = [];

    public void Ensure(int width, int height)
    {
        Canvas.Create(height, width, MatType.CV_8UC3);
        PlaneB.Create(height, width, MatType.CV_8UC1);
        PlaneG.Create(height, width, MatType.CV_8UC1);
        PlaneR.Create(height, width, MatType.CV_8UC1);
        int pixels = width * height;
        if (pixels > _capacity)
        {
            _capacity = pixels;
            Alpha = new float[pixels];
            NucleusCoverage = new float[pixels];
            NucleusShade = new float[pixels];
            PenAlpha = new float[pixels];
            PenColorIndex = new byte[pixels];
        }
        if (RowNode.Length < height)
        {
            RowNode = new int[height];
            RowFraction = new float[height];
        }
    }

    public void EnsureNodes(int columns, int rows)
    {
        int count = columns * rows;
        if (count > _nodeCapacity)
        {
            _nodeCapacity = count;
            Nodes = new float[SyntheticSceneRenderer.NodeFieldCount][];
            for (int f = 0; f < Nodes.Length; f++) Nodes[f] = new float[count];
        }
        if (RowValues.Length == 0 || RowValues[0].Length < columns)
        {
            RowValues = new float[SyntheticSceneRenderer.NodeFieldCount][];
            for (int f = 0; f < RowValues.Length; f++) RowValues[f] = new float[columns];
        }
    }

    public void EnsureCoarseNodes(int count)
    {
        if (CoarseNodes.Length == 0 || CoarseNodes[0].Length < count)
        {
            CoarseNodes = new float[SyntheticSceneRenderer.SlowFieldCount][];
            for (int f = 0; f < CoarseNodes.Length; f++) CoarseNodes[f] = new float[count];
        }
    }

    public void Dispose()
    {
        Canvas.Dispose();
        PlaneB.Dispose();
        PlaneG.Dispose();
        PlaneR.Dispose();
    }
}
