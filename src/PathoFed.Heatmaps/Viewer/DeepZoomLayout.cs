using System.Globalization;
using System.Security;

namespace PathoFed.Heatmaps.Viewer;

/// <summary>One Deep Zoom tile: its size in pixels of its level and the level-0 area it shows.</summary>
/// <param name="Level0PerPx">Level-0 pixels per tile pixel (2^(max level − level)).</param>
internal readonly record struct DeepZoomTile(long Level0Left, long Level0Top, int WidthPx, int HeightPx, double Level0PerPx);

/// <summary>
/// The Deep Zoom pyramid of an image of level-0 size <see cref="Level0Width"/> x <see cref="Level0Height"/>: level
/// <c>L</c> is the image shrunk 2^(max level − L) times (rounded up), the top level is full size and level 0 is 1 x 1;
/// tiles are <see cref="TileSizePx"/> square plus <see cref="OverlapPx"/> on each inner side, as OpenSeadragon expects.
/// </summary>
internal sealed class DeepZoomLayout
{
    public const int TileSizePx = 254;
    public const int OverlapPx = 1;

    public DeepZoomLayout(long level0Width, long level0Height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(level0Width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(level0Height);
        Level0Width = level0Width;
        Level0Height = level0Height;
        long longSide = Math.Max(level0Width, level0Height);
        int maxLevel = 0;
        while ((1L << maxLevel) < longSide) maxLevel++;
        MaxLevel = maxLevel;
    }

    public long Level0Width { get; }

    public long Level0Height { get; }

    /// <summary>The full-resolution level: ceil(log2(long side)).</summary>
    public int MaxLevel { get; }

    /// <summary>Level-0 pixels per pixel of <paramref name="level"/>.</summary>
    public long Level0PerPx(int level) => 1L << (MaxLevel - level);

    public (long Width, long Height) LevelSize(int level)
    {
        long scale = Level0PerPx(level);
        return (CeilDiv(Level0Width, scale), CeilDiv(Level0Height, scale));
    }

    /// <summary>The tile at (<paramref name="column"/>, <paramref name="row"/>) of <paramref name="level"/>, or null when there is none.</summary>
    public DeepZoomTile? Tile(int level, long column, long row)
    {
        if (level < 0 || level > MaxLevel || column < 0 || row < 0) return null;
        (long width, long height) = LevelSize(level);
        if (column >= CeilDiv(width, TileSizePx) || row >= CeilDiv(height, TileSizePx)) return null;
        (long x0, long x1) = Span(column, width);
        (long y0, long y1) = Span(row, height);
        long scale = Level0PerPx(level);
        return new DeepZoomTile(x0 * scale, y0 * scale, (int)(x1 - x0), (int)(y1 - y0), scale);
    }

    /// <summary>The <c>.dzi</c> descriptor OpenSeadragon reads (Deep Zoom XML, 2008 schema).</summary>
    public string DescriptorXml(string format) => string.Create(CultureInfo.InvariantCulture,
        $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <Image xmlns="http://schemas.microsoft.com/deepzoom/2008" TileSize="{TileSizePx}" Overlap="{OverlapPx}" Format="{SecurityElement.Escape(format)}">
          <Size Width="{Level0Width}" Height="{Level0Height}"/>
        </Image>
        """);

    /// <summary>A tile's pixel span along one axis: its own cells plus the overlap on the sides that have a neighbour.</summary>
    private static (long Start, long End) Span(long index, long levelSize) =>
        (Math.Max(0, index * TileSizePx - OverlapPx), Math.Min(levelSize, (index + 1) * TileSizePx + OverlapPx));

    private static long CeilDiv(long value, long divisor) => (value + divisor - 1) / divisor;
}
