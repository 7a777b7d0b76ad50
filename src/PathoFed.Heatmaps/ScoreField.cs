using PathoFed.Slides.Patching;

namespace PathoFed.Heatmaps;

/// <summary>
/// Scores on a grid of cells one patch stride square, anchored at the slide origin like the patch grid. A cell holds
/// the mean score of the patches covering it (overlapping patches are averaged), or NaN when no patch covers it.
/// Immutable; row-major (<see cref="Columns"/> cells per row).
/// </summary>
public sealed class ScoreField
{
    private readonly float[] _values;

    internal ScoreField(int columns, int rows, int level0CellSize, float[] values)
    {
        if (values.Length != (long)columns * rows) throw new ArgumentException($"{values.Length} values for {columns} x {rows} cells", nameof(values));
        Columns = columns;
        Rows = rows;
        Level0CellSize = level0CellSize;
        _values = values;
    }

    public int Columns { get; }

    public int Rows { get; }

    /// <summary>Side of a cell in level-0 pixels: the patch stride.</summary>
    public int Level0CellSize { get; }

    /// <summary>The cell's value, NaN when it has no data.</summary>
    public float this[int column, int row] => _values[row * Columns + column];

    public bool HasData(int column, int row) => !float.IsNaN(this[column, row]);

    /// <summary>The cells in row-major order, NaN where there is no data.</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>
    /// Averages patch scores onto cells. A patch covers the cells whose centres lie inside its footprint, so a
    /// patch of two strides (50% overlap) covers exactly 2 x 2 cells and each cell averages the 4 patches over it.
    /// </summary>
    /// <param name="patches">Level-0 top-left corners; each patch is <paramref name="level0PatchSize"/> px square.</param>
    /// <exception cref="ArgumentException">Sizes are not positive or the counts differ.</exception>
    public static ScoreField FromPatches(IReadOnlyList<PatchCoordinate> patches, ReadOnlySpan<float> scores,
        int level0PatchSize, int level0Stride, long level0Width, long level0Height)
    {
        ArgumentNullException.ThrowIfNull(patches);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(level0PatchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(level0Stride);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(level0Width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(level0Height);
        if (patches.Count != scores.Length) throw new ArgumentException($"{patches.Count} patches but {scores.Length} scores", nameof(scores));

        int columns = checked((int)((level0Width + level0Stride - 1) / level0Stride));
        int rows = checked((int)((level0Height + level0Stride - 1) / level0Stride));
        var sums = new double[(long)columns * rows];
        var counts = new int[sums.Length];
        for (int i = 0; i < patches.Count; i++)
        {
            var (firstColumn, lastColumn) = CoveredCells(patches[i].Level0X, level0PatchSize, level0Stride, columns);
            var (firstRow, lastRow) = CoveredCells(patches[i].Level0Y, level0PatchSize, level0Stride, rows);
            for (int row = firstRow; row <= lastRow; row++)
            {
                for (int column = firstColumn; column <= lastColumn; column++)
                {
                    sums[row * columns + column] += scores[i];
                    counts[row * columns + column]++;
                }
            }
        }

        var values = new float[sums.Length];
        for (int cell = 0; cell < values.Length; cell++) values[cell] = counts[cell] == 0 ? float.NaN : (float)(sums[cell] / counts[cell]);
        return new ScoreField(columns, rows, level0Stride, values);
    }

    /// <summary>A field of the same shape with other values (normalised, smoothed).</summary>
    internal ScoreField With(float[] values) => new(Columns, Rows, Level0CellSize, values);

    /// <summary>Cells along one axis whose centres (start + stride/2 + k·stride) lie in [start, start + size), clipped to the grid.</summary>
    private static (int First, int Last) CoveredCells(long level0Start, int level0Size, int level0Stride, int cellCount)
    {
        double half = level0Stride / 2.0;
        long first = (long)Math.Ceiling((level0Start - half) / level0Stride);
        long last = (long)Math.Ceiling((level0Start + level0Size - half) / level0Stride) - 1;
        // A patch smaller than a stride may contain no cell centre: give it the cell its own centre falls in.
        if (last < first) first = last = (long)Math.Floor((level0Start + level0Size / 2.0) / level0Stride);
        return ((int)Math.Clamp(first, 0, cellCount - 1), (int)Math.Clamp(last, 0, cellCount - 1));
    }
}
