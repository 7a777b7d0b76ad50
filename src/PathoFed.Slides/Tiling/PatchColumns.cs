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
    private const string X = "x", Y = "y", Width = "width", Height = "height", Level = "level", TissueFraction = "tissue_fraction";

    private static readonly string[] Names = [X, Y, Width, Height, Level, TissueFraction];

    /// <summary>
    /// New field objects for one table's schema. Parquet.Net binds a field to the schema it is built into, so each
    /// table owns its own; reads and writes look the fields up in the schema at hand.
    /// </summary>
    public static DataField[] CreateFields() =>
        [new DataField<long>(X), new DataField<long>(Y), new DataField<int>(Width), new DataField<int>(Height), new DataField<int>(Level), new DataField<float>(TissueFraction)];

    /// <summary>Writes the six columns of one row group; a table's own columns follow.</summary>
    public static async Task WriteAsync(ParquetRowGroupWriter group, ParquetSchema schema, ReadOnlyMemory<PatchCoordinate> patches, PatchGridGeometry geometry, CancellationToken cancellationToken)
    {
        int n = patches.Length;
        var xs = new long[n]; var ys = new long[n]; var fractions = new float[n];
        ReadOnlySpan<PatchCoordinate> rows = patches.Span;
        for (int i = 0; i < n; i++) (xs[i], ys[i], fractions[i]) = (rows[i].Level0X, rows[i].Level0Y, rows[i].TissueFraction);
        await group.WriteAsync<long>(Field(schema, X), xs, cancellationToken: cancellationToken);
        await group.WriteAsync<long>(Field(schema, Y), ys, cancellationToken: cancellationToken);
        await group.WriteAsync<int>(Field(schema, Width), Filled(n, geometry.Level0PatchSize), cancellationToken: cancellationToken);
        await group.WriteAsync<int>(Field(schema, Height), Filled(n, geometry.Level0PatchSize), cancellationToken: cancellationToken);
        await group.WriteAsync<int>(Field(schema, Level), Filled(n, geometry.ReadLevel), cancellationToken: cancellationToken);
        await group.WriteAsync<float>(Field(schema, TissueFraction), fractions, cancellationToken: cancellationToken);
    }

    /// <summary>Reads the patches of one row group.</summary>
    public static async Task<PatchCoordinate[]> ReadAsync(ParquetRowGroupReader group, ParquetSchema fileSchema, CancellationToken cancellationToken)
    {
        int n = checked((int)group.RowCount);
        var xs = new long[n]; var ys = new long[n]; var fractions = new float[n];
        await group.ReadAsync<long>(Field(fileSchema, X), xs, cancellationToken: cancellationToken);
        await group.ReadAsync<long>(Field(fileSchema, Y), ys, cancellationToken: cancellationToken);
        await group.ReadAsync<float>(Field(fileSchema, TissueFraction), fractions, cancellationToken: cancellationToken);
        var patches = new PatchCoordinate[n];
        for (int i = 0; i < n; i++) patches[i] = new PatchCoordinate(xs[i], ys[i], fractions[i]);
        return patches;
    }

    /// <summary>Throws unless every patch column is present in <paramref name="schema"/>.</summary>
    public static void RequireIn(ParquetSchema schema, string path, string tableKind)
    {
        foreach (string name in Names)
        {
            if (schema.FindDataField(name) is null) throw new InvalidDataException($"'{path}' has no column '{name}': not a PathoFed {tableKind}");
        }
    }

    private static DataField Field(ParquetSchema schema, string name) =>
        schema.FindDataField(name) ?? throw new InvalidDataException($"Parquet schema has no column '{name}'");

    private static int[] Filled(int n, int value)
    {
        var values = new int[n];
        Array.Fill(values, value);
        return values;
    }
}
