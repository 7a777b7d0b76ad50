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
