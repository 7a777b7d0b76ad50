namespace PathoFed.Slides;

/// <summary>Where a slide's µm/px came from: traceable in every output that uses it.</summary>
public enum MppSource
{
    Unknown,
    Vendor,
    TiffResolution,
    User,
}

/// <summary>One pyramid level: its size in its own pixels and its downsample relative to level 0.</summary>
public sealed record SlideLevel(long Width, long Height, double Downsample);

/// <summary>
/// Everything known about a slide without reading pixels. Coordinates elsewhere are level-0 pixels unless a
/// name says otherwise. <see cref="MppX"/>/<see cref="MppY"/> are null when the file records no physical resolution.
/// </summary>
public sealed record SlideMetadata(
    string Vendor,
    IReadOnlyList<SlideLevel> Levels,
    double? MppX,
    double? MppY,
    double? ObjectivePower,
    IReadOnlyDictionary<string, string> Properties,
    IReadOnlyList<string> AssociatedImages,
    MppSource MppSource)
{
    public long Level0Width => Levels[0].Width;
    public long Level0Height => Levels[0].Height;
    public int LevelCount => Levels.Count;

    /// <summary>The mean of x and y µm/px, or null when unknown.</summary>
    public double? Mpp => MppX is { } x && MppY is { } y ? (x + y) / 2 : MppX ?? MppY;

    /// <summary>
    /// The highest-resolution level whose downsample does not exceed <paramref name="downsample"/>, so that a
    /// reader always shrinks (never enlarges) what it reads. A small tolerance absorbs rounding in recorded downsamples.
    /// </summary>
    public int BestLevelForDownsample(double downsample)
    {
        const double Tolerance = 1e-3;
        int best = 0;
        for (int level = 1; level < Levels.Count; level++)
        {
            if (Levels[level].Downsample <= downsample * (1 + Tolerance)) best = level;
        }
        return best;
    }

    /// <summary>Copy with the physical resolution replaced, e.g. from a manifest's mpp column.</summary>
    public SlideMetadata WithUserMpp(double mpp) => this with { MppX = mpp, MppY = mpp, MppSource = MppSource.User };

    /// <summary>The µm/px, or <see cref="MissingMppException"/> naming the slide and how to supply it.</summary>
    public double RequireMpp(string slidePath) => Mpp ?? throw new MissingMppException(slidePath);
}
