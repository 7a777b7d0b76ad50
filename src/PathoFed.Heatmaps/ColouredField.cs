using OpenCvSharp;

namespace PathoFed.Heatmaps;

/// <summary>
/// A normalised field turned into one colour per cell, and the one place that maps image pixels back to cells: the
/// overlay, the raw image and every tile of <c>heatmap.tif</c> sample it the same way (nearest cell), so they agree.
/// Read-only after construction, so tiles can be rendered from several threads.
/// </summary>
internal sealed class ColouredField
{
    private readonly byte[] _bgr;
    private readonly bool[] _hasData;

    public ColouredField(ScoreField normalized, HeatmapPalette palette)
    {
        Columns = normalized.Columns;
        Rows = normalized.Rows;
        Level0CellSize = normalized.Level0CellSize;
        ReadOnlySpan<float> values = normalized.Values;
        _bgr = new byte[values.Length * 3];
        _hasData = new bool[values.Length];
        for (int cell = 0; cell < values.Length; cell++)
        {
            if (float.IsNaN(values[cell])) continue;
            _hasData[cell] = true;
            palette.Bgr(HeatmapPalette.Index(values[cell])).CopyTo(_bgr.AsSpan(cell * 3, 3));
        }
    }

    public int Columns { get; }

    public int Rows { get; }

    public int Level0CellSize { get; }

    /// <summary>The cells themselves, one pixel each, as BGRA with alpha 0 where there is no data.</summary>
    public unsafe Mat ToBgra()
    {
        var image = new Mat(Rows, Columns, MatType.CV_8UC4, Scalar.All(0));
        for (int row = 0; row < Rows; row++)
        {
            byte* pixel = (byte*)image.Ptr(row);
            for (int column = 0; column < Columns; column++, pixel += 4)
            {
                int cell = row * Columns + column;
                if (!_hasData[cell]) continue;
                pixel[0] = _bgr[cell * 3];
                pixel[1] = _bgr[cell * 3 + 1];
                pixel[2] = _bgr[cell * 3 + 2];
                pixel[3] = byte.MaxValue;
            }
        }
        return image;
    }

    /// <summary>
    /// Fills <paramref name="destination"/> (reallocated as <paramref name="heightPx"/> x <paramref name="widthPx"/>
    /// CV_8UC3) with the field seen through a window whose top-left pixel starts at (<paramref name="level0Left"/>,
    /// <paramref name="level0Top"/>) and whose pixels are <paramref name="level0PerPxX"/> x <paramref name="level0PerPxY"/>
    /// level-0 pixels. Each pixel takes the cell under its centre; pixels without data get <paramref name="noData"/>
    /// and, when <paramref name="mask"/> is given (CV_8UC1, same size), 0 there and 255 elsewhere.
    /// </summary>
    public unsafe void Sample(double level0Left, double level0Top, double level0PerPxX, double level0PerPxY,
        int widthPx, int heightPx, Scalar noData, Mat destination, Mat? mask = null)
    {
        destination.Create(heightPx, widthPx, MatType.CV_8UC3);
        mask?.Create(heightPx, widthPx, MatType.CV_8UC1);
        Span<int> columnOf = widthPx <= 4096 ? stackalloc int[widthPx] : new int[widthPx];
        for (int x = 0; x < widthPx; x++) columnOf[x] = CellIndex(level0Left + (x + 0.5) * level0PerPxX, Columns);
        byte noDataB = (byte)noData.Val0, noDataG = (byte)noData.Val1, noDataR = (byte)noData.Val2;

        for (int y = 0; y < heightPx; y++)
        {
            int row = CellIndex(level0Top + (y + 0.5) * level0PerPxY, Rows);
            byte* pixel = (byte*)destination.Ptr(y);
            byte* maskRow = mask is null ? null : (byte*)mask.Ptr(y);
            for (int x = 0; x < widthPx; x++, pixel += 3)
            {
                int column = columnOf[x];
                int cell = row < 0 || column < 0 ? -1 : row * Columns + column;
                bool hasData = cell >= 0 && _hasData[cell];
                if (hasData)
                {
                    pixel[0] = _bgr[cell * 3];
                    pixel[1] = _bgr[cell * 3 + 1];
                    pixel[2] = _bgr[cell * 3 + 2];
                }
                else
                {
                    pixel[0] = noDataB;
                    pixel[1] = noDataG;
                    pixel[2] = noDataR;
                }
                if (maskRow is not null) maskRow[x] = hasData ? byte.MaxValue : (byte)0;
            }
        }
    }

    /// <summary>The cell containing a level-0 coordinate, or -1 beyond the grid.</summary>
    private int CellIndex(double level0, int cellCount)
    {
        double cell = Math.Floor(level0 / Level0CellSize);
        return cell >= 0 && cell < cellCount ? (int)cell : -1;
    }
}
