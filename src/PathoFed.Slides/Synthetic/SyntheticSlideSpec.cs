namespace PathoFed.Slides.Synthetic;

/// <summary>How the synthetic slide presents itself to readers.</summary>
public enum SyntheticSlideFlavor
{
    /// <summary>An Aperio SVS-style TIFF: vendor description with AppMag and MPP, thumbnail, label and macro images.</summary>
    Aperio,

    /// <summary>A plain tiled pyramidal TIFF whose µm/px lives only in the XResolution/YResolution tags.</summary>
    GenericTiff,
}

/// <summary>
/// Everything that determines a synthetic whole-slide image: its size, the tissue geometry (level-0 pixels), pen marks,
/// resolution and encoding. The same spec always renders the same pixels, so tests can check tissue area and patch
/// counts against <see cref="TissueAreaLevel0Px"/> and the ellipses.
/// </summary>
/// <param name="Width">Level-0 width in pixels.</param>
/// <param name="Height">Level-0 height in pixels.</param>
/// <param name="Tissue">Tissue sections; they must not overlap each other.</param>
public sealed record SyntheticSlideSpec(long Width, long Height, IReadOnlyList<SyntheticEllipse> Tissue)
{
    /// <summary>Glass inside tissue; each lies inside one tissue ellipse, and holes do not overlap each other.</summary>
    public IReadOnlyList<SyntheticEllipse> Holes { get; init; } = [];

    public IReadOnlyList<PenStroke> PenStrokes { get; init; } = [];

    /// <summary>
    /// Carcinoma-like lesions, each inside one tissue ellipse and disjoint from the others: sheets of crowded, enlarged,
    /// hyperchromatic, pleomorphic nuclei in pale cytoplasm with little collagen. The rendered border wanders within
    /// about 12% of each radius around the ellipse, which is the ground truth (a hole inside a focus stays glass).
    /// </summary>
    public IReadOnlyList<SyntheticEllipse> TumourFoci { get; init; } = [];

    /// <summary>Staining intensity; slides of one lab share a protocol, labs differ (<see cref="SyntheticStain.Standard"/> by default).</summary>
    public SyntheticStain Stain { get; init; } = SyntheticStain.Standard;

    /// <summary>Level-0 µm per pixel (both axes).</summary>
    public double Mpp { get; init; } = 0.5;

    /// <summary>
    /// The scanner's objective magnification. The Aperio flavor records it as AppMag, which OpenSlide 3.4.1 reports as
    /// openslide.objective-power only when it is a whole number; the generic TIFF flavor has no place for it.
    /// </summary>
    public double ObjectivePower { get; init; } = 20;

    /// <summary>Tile edge in pixels; a multiple of 16 (TIFF requires it, and 4:2:0 JPEG blocks are 16 px).</summary>
    public int TileSizePx { get; init; } = 256;

    /// <summary>JPEG quality, 1-100.</summary>
    public int JpegQuality { get; init; } = 80;

    /// <summary>Seeds the texture (nuclei, stain variation, noise); the geometry is fixed by the spec itself.</summary>
    public int Seed { get; init; } = 1;

    public SyntheticSlideFlavor Flavor { get; init; } = SyntheticSlideFlavor.Aperio;

    /// <summary>
    /// The analytic tissue area in level-0 pixels: the tissue ellipses' areas minus the holes'. Exact because tissue
    /// ellipses do not overlap and every hole lies inside one of them.
    /// </summary>
    public double TissueAreaLevel0Px
    {
        get
        {
            double area = 0;
            foreach (SyntheticEllipse tissue in Tissue) area += tissue.Area;
            foreach (SyntheticEllipse hole in Holes) area -= hole.Area;
            return area;
        }
    }

    /// <summary>The analytic area of the tumour foci in level-0 pixels (they are disjoint).</summary>
    public double TumourAreaLevel0Px
    {
        get
        {
            double area = 0;
            foreach (SyntheticEllipse focus in TumourFoci) area += focus.Area;
            return area;
        }
    }

    /// <summary>
    /// A slide of 2-4 non-overlapping elliptical tissue sections covering about 30-40% of its area, one of them with a
    /// hole; the same arguments always give the same spec (its <see cref="Seed"/> is <paramref name="seed"/> too).
    /// </summary>
    /// <exception cref="ArgumentException">A side is below 64 px, or above the writer's maximum (250,000 px).</exception>
    public static SyntheticSlideSpec WithRandomTissue(long width, long height, int seed)
    {
        if (width < MinRandomTissueSidePx || height < MinRandomTissueSidePx
            || width > SyntheticSpecValidator.MaxSidePx || height > SyntheticSpecValidator.MaxSidePx)
        {
            throw new ArgumentException(
                $"Slide size {width} x {height} px is outside {MinRandomTissueSidePx}-{SyntheticSpecValidator.MaxSidePx} px per side, " +
                "the range in which random tissue sections fit.", width < MinRandomTissueSidePx || width > SyntheticSpecValidator.MaxSidePx ? nameof(width) : nameof(height));
        }

        var random = new SplitMix64(SyntheticHash.Hash(0x7155E5EC7105UL, seed, 0));
        int count = 2 + random.NextInt(3);
        // Each section fills this fraction of its own cell, and the cells tile the slide, so the slide's tissue
        // fraction is this minus the hole (at most ~4%): always inside 30-40%.
        double fraction = random.Range(0.33, 0.39);

        var tissue = new List<SyntheticEllipse>(count);
        foreach (var (x, y, w, h) in SplitIntoCells(width, height, count, ref random))
        {
            // Ellipse area / cell area = π/4 · a · b, with a and b the ellipse's share of the cell's width and height.
            double ab = 4 * fraction / Math.PI;
            double a = random.Range(Math.Max(ab / MaxCellShare, 0.55), MaxCellShare);
            double b = ab / a;
            double rx = a * w / 2;
            double ry = b * h / 2;
            double cx = x + w / 2 + random.Range(-1, 1) * (w / 2 - rx) * 0.8;
            double cy = y + h / 2 + random.Range(-1, 1) * (h / 2 - ry) * 0.8;
            tissue.Add(new SyntheticEllipse(cx, cy, rx, ry));
        }

        // A hole scaled from its section at offset + scale <= 1 in the section's normalised coordinates is inside it.
        SyntheticEllipse host = tissue[random.NextInt(count)];
        double scale = random.Range(0.17, 0.24);
        double offset = random.Range(0, 0.3);
        double angle = random.Range(0, 2 * Math.PI);
        var hole = new SyntheticEllipse(
            host.CenterX + offset * Math.Cos(angle) * host.RadiusX,
            host.CenterY + offset * Math.Sin(angle) * host.RadiusY,
            scale * host.RadiusX,
            scale * host.RadiusY);

        return new SyntheticSlideSpec(width, height, tissue) { Holes = [hole], Seed = seed };
    }

    /// <summary>
    /// This slide with 1-3 disjoint tumour foci covering 8-20% of its tissue area: each inside one section with room for
    /// its wandering border, and clear of the holes. The same spec always gets the same foci (they follow
    /// <see cref="Seed"/> and the tissue).
    /// </summary>
    /// <exception cref="InvalidOperationException">The slide has no tissue, or already has foci.</exception>
    public SyntheticSlideSpec WithRandomTumourFoci()
    {
        if (Tissue.Count == 0) throw new InvalidOperationException("The slide has no tissue to place tumour foci in; add tissue first (e.g. WithRandomTissue).");
        if (TumourFoci.Count > 0) throw new InvalidOperationException($"The slide already has {TumourFoci.Count} tumour foci; start from a spec without foci.");

        var random = new SplitMix64(SyntheticHash.Hash(0x7E40_0F0C_1UL, Seed, 0));
        double tissueArea = TissueAreaLevel0Px;
        double fraction = random.Range(MinFociFraction, MaxFociFraction);
        int count = 1 + random.NextInt(MaxFoci);
        // Large foci may not fit one section: more, smaller foci, and as a last resort a smaller total.
        while (true)
        {
            for (int tryCount = count; tryCount <= MaxFoci; tryCount++)
            {
                if (TryPlaceFoci(tissueArea * fraction, tryCount, ref random) is { } foci) return this with { TumourFoci = foci };
            }
            if (fraction * 0.9 < MinFociFraction) break;
            fraction *= 0.9;
        }
        throw new InvalidOperationException(FormattableString.Invariant(
            $"No room for tumour foci covering {MinFociFraction:P0} of the tissue in this {Width} x {Height} px slide's sections."));
    }

    private const int MaxFoci = 3;
    private const double MinFociFraction = 0.08, MaxFociFraction = 0.20;

    // The rendered border wanders by up to 12% of a focus's radius; keep that much (and a little more) inside the section.
    private const double FocusClearance = 1.18;
    private const int FocusAttempts = 60;

    private List<SyntheticEllipse>? TryPlaceFoci(double totalArea, int count, ref SplitMix64 random)
    {
        Span<double> weights = stackalloc double[count];
        double total = 0;
        for (int i = 0; i < count; i++) total += weights[i] = random.Range(0.6, 1.4);
        double tissueTotal = 0;
        foreach (SyntheticEllipse section in Tissue) tissueTotal += section.Area;

        var foci = new List<SyntheticEllipse>(count);
        for (int i = 0; i < count; i++)
        {
            double area = totalArea * weights[i] / total;
            SyntheticEllipse? placed = null;
            for (int attempt = 0; attempt < FocusAttempts && placed is null; attempt++)
            {
                // A section picked by area; the focus is its shape scaled by s, stretched by aspect, shifted inside it.
                SyntheticEllipse host = WeightedChoice.Pick(Tissue, section => section.Area, random.NextDouble() * tissueTotal);
                double scale = Math.Sqrt(area / host.Area);
                double aspect = random.Range(0.8, 1.25);
                double extent = scale * Math.Max(aspect, 1 / aspect);
                double room = 1 - FocusClearance * extent;
                double offset = Math.Max(0, room) * Math.Sqrt(random.NextDouble());
                double angle = random.Range(0, 2 * Math.PI);
                if (room <= 0) continue;
                // In the section's normalised coordinates the focus lies in a disc of radius extent around the offset.
                var candidate = new SyntheticEllipse(
                    host.CenterX + offset * Math.Cos(angle) * host.RadiusX,
                    host.CenterY + offset * Math.Sin(angle) * host.RadiusY,
                    scale * aspect * host.RadiusX,
                    scale / aspect * host.RadiusY);
                var clearance = candidate with { RadiusX = candidate.RadiusX * FocusClearance, RadiusY = candidate.RadiusY * FocusClearance };
                bool clear = SyntheticSpecValidator.Inside(candidate, host);
                foreach (SyntheticEllipse other in foci) clear &= !SyntheticSpecValidator.Overlap(clearance, other with { RadiusX = other.RadiusX * FocusClearance, RadiusY = other.RadiusY * FocusClearance });
                foreach (SyntheticEllipse hole in Holes) clear &= !SyntheticSpecValidator.Overlap(clearance, hole);
                if (clear) placed = candidate;
            }
            if (placed is null) return null;
            foci.Add(placed);
        }
        return foci;
    }

    // Below this the sections and their hole would be a few pixels across.
    private const long MinRandomTissueSidePx = 64;

    private const double MaxCellShare = 0.9;

    /// <summary>2 or 3 strips along the longer side, or a 2 x 2 grid, with sizes varying ±20%.</summary>
    private static List<(double X, double Y, double W, double H)> SplitIntoCells(long width, long height, int count, ref SplitMix64 random)
    {
        var cells = new List<(double, double, double, double)>(count);
        if (count == 4)
        {
            double splitX = width * random.Range(0.42, 0.58);
            double splitY = height * random.Range(0.42, 0.58);
            cells.Add((0, 0, splitX, splitY));
            cells.Add((splitX, 0, width - splitX, splitY));
            cells.Add((0, splitY, splitX, height - splitY));
            cells.Add((splitX, splitY, width - splitX, height - splitY));
            return cells;
        }

        Span<double> weights = stackalloc double[count];
        double total = 0;
        for (int i = 0; i < count; i++) total += weights[i] = random.Range(0.8, 1.2);
        bool alongX = width >= height;
        double length = alongX ? width : height;
        double start = 0;
        for (int i = 0; i < count; i++)
        {
            double size = length * weights[i] / total;
            cells.Add(alongX ? (start, 0, size, height) : (0, start, width, size));
            start += size;
        }
        return cells;
    }
}
