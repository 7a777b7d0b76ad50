using Parquet;
using Parquet.Schema;
using PathoFed.Slides.Patching;

namespace PathoFed.Slides.Tiling;

/// <summary>
/// The patch columns every PathoFed table starts with (patches.parquet, features.parquet, later score tables):
/// level-0 x, y, width, height, the pyramid level read, and the tissue fraction.
/// </summary>
public static class PatchColumns
{
    public static readonly DataField<long> X = new("x");
    public static readonly DataField<long> Y = new("y");
    public static readonly DataField<int> Width = new("width");
    public static readonly DataField<int> Height = new("height");
    public static readonly DataField<int> Level = new("level");
    public static readonly DataField<float> TissueFraction = new("tissue_fraction");

    public static IReadOnlyList<DataField> Fields { get; } = [X, Y, Width, Height, Level, TissueFraction];

    /// <summary>Writes the six columns of one row group; a table's own columns follow.</summary>
    public static async Task WriteAsync(ParquetRowGroupWriter group, ReadOnlyMemory<PatchCoordinate> patches, PatchGridGeometry geometry, CancellationToken cancellationToken)
    {
        int n = patches.Length;
        var xs = new long[n]; var ys = new long[n]; var fractions = new float[n];
        ReadOnlySpan<PatchCoordinate> rows = patches.Span;
        for (int i = 0; i < n; i++) (xs[i], ys[i], fractions[i]) = (rows[i].Level0X, rows[i].Level0Y, rows[i].TissueFraction);
        await group.WriteAsync<long>(X, xs, cancellationToken: cancellationToken);
        await group.WriteAsync<long>(Y, ys, cancellationToken: cancellationToken);
        await group.WriteAsync<int>(Width, Filled(n, geometry.Level0PatchSize), cancellationToken: cancellationToken);
        await group.WriteAsync<int>(Height, Filled(n, geometry.Level0PatchSize), cancellationToken: cancellationToken);
        await group.WriteAsync<int>(Level, Filled(n, geometry.ReadLevel), cancellationToken: cancellationToken);
        await group.WriteAsync<float>(TissueFraction, fractions, cancellationToken: cancellationToken);
    }

    /// <summary>Reads the patches of one row group.</summary>
    public static async Task<PatchCoordinate[]> ReadAsync(ParquetRowGroupReader group, CancellationToken cancellationToken)
    {
        int n = checked((int)group.RowCount);
        var xs = new long[n]; var ys = new long[n]; var fractions = new float[n];
        await group.ReadAsync<long>(X, xs, cancellationToken: cancellationToken);
        await group.ReadAsync<long>(Y, ys, cancellationToken: cancellationToken);
        await group.ReadAsync<float>(TissueFraction, fractions, cancellationToken: cancellationToken);
        var patches = new PatchCoordinate[n];
        for (int i = 0; i < n; i++) patches[i] = new PatchCoordinate(xs[i], ys[i], fractions[i]);
        return patches;
    }

    /// <summary>Throws unless every patch column is present in <paramref name="schema"/>.</summary>
    public static void RequireIn(ParquetSchema schema, string path, string tableKind)
    {
        foreach (DataField field in Fields)
        {
            if (schema.FindDataField(field.Name) is null) throw new InvalidDataException($"'{path}' has no column '{field.Name}': not a PathoFed {tableKind}");
        }
    }

    private static int[] Filled(int n, int value)
    {
        var values = new int[n];
        Array.Fill(values, value);
        return values;
    }
}
