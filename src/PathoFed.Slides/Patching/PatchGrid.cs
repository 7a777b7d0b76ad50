using PathoFed.Slides.Tissue;

namespace PathoFed.Slides.Patching;

/// <summary>One patch: its top-left corner in level-0 pixels and the tissue fraction of its footprint.</summary>
public readonly record struct PatchCoordinate(long Level0X, long Level0Y, float TissueFraction);

/// <summary>The patches kept on one slide, in row-major order (y, then x) on a grid anchored at the slide origin.</summary>
public sealed class PatchGrid
{
    public PatchGrid(PatchGridGeometry geometry, IReadOnlyList<PatchCoordinate> patches, long candidates)
    {
        Geometry = geometry;
        Patches = patches;
        Candidates = candidates;
    }

    public PatchGridGeometry Geometry { get; }

    public IReadOnlyList<PatchCoordinate> Patches { get; }

    /// <summary>Grid positions examined (patches fully inside the slide), kept or not.</summary>
    public long Candidates { get; }

    /// <summary>
    /// Lays the grid over the whole slide (so coordinates do not depend on where tissue was found) and keeps patches
    /// that lie fully inside the slide with at least the minimum tissue fraction.
    /// </summary>
    public static PatchGrid Plan(SlideMetadata metadata, string slidePath, TissueMask tissue, PatchGridOptions options, CancellationToken cancellationToken = default) =>
        Plan(metadata, PatchGridGeometry.Resolve(metadata, slidePath, options), tissue, options.MinTissueFraction, cancellationToken);

    /// <summary>Lays out an already resolved geometry (see the other overload).</summary>
    public static PatchGrid Plan(SlideMetadata metadata, PatchGridGeometry geometry, TissueMask tissue, double minTissueFraction, CancellationToken cancellationToken = default)
    {
        int size = geometry.Level0PatchSize, stride = geometry.Level0Stride;
        var patches = new List<PatchCoordinate>();
        long candidates = 0;
        for (long y = 0; y + size <= metadata.Level0Height; y += stride)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (long x = 0; x + size <= metadata.Level0Width; x += stride)
            {
                candidates++;
                double fraction = tissue.TissueFraction(x, y, size, size);
                if (fraction >= minTissueFraction && (fraction > 0 || minTissueFraction == 0))
                {
                    patches.Add(new PatchCoordinate(x, y, (float)fraction));
                }
            }
        }
        return new PatchGrid(geometry, patches, candidates);
    }
}
