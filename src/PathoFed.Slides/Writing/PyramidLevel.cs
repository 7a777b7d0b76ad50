namespace PathoFed.Slides.Writing;

/// <summary>One pyramid level to write: its size in its own pixels and its exact downsample from level 0.</summary>
public sealed record PyramidLevel(long Width, long Height, double Downsample)
{
    /// <summary>Each level is this many times smaller than the one before, like Aperio's scanners.</summary>
    public const int LevelFactor = 4;

    /// <summary>Levels stop once the longer side is at most this, so the smallest level is a cheap overview.</summary>
    public const long MaxSmallestLevelSidePx = 2000;

    /// <summary>
    /// The Aperio-like layout: level 0 at <paramref name="width"/> x <paramref name="height"/>, then each level 4x
    /// smaller with sides rounded down, until the longer side is at most <see cref="MaxSmallestLevelSidePx"/>.
    /// </summary>
    public static List<PyramidLevel> Layout(long width, long height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var levels = new List<PyramidLevel> { new(width, height, 1) };
        double downsample = 1;
        while (Math.Max(width, height) > MaxSmallestLevelSidePx && Math.Min(width, height) >= LevelFactor)
        {
            width /= LevelFactor;
            height /= LevelFactor;
            downsample *= LevelFactor;
            levels.Add(new PyramidLevel(width, height, downsample));
        }
        return levels;
    }
}
