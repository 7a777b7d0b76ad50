using System.Globalization;
using Parquet;
using Parquet.Schema;
using PathoFed.Slides.Patching;

namespace PathoFed.Slides.Tiling;

/// <summary>
/// <c>patches.parquet</c>: one row per patch (level-0 x, y, width, height, read level, tissue fraction) with the
/// grid's parameters as key-value metadata, readable by pandas/pyarrow, DuckDB and Parquet.Net alike.
/// </summary>
public sealed class PatchTable
{
    public const string FileName = "patches.parquet";

    private static readonly DataField<long> X = new("x");
    private static readonly DataField<long> Y = new("y");
    private static readonly DataField<int> Width = new("width");
    private static readonly DataField<int> Height = new("height");
    private static readonly DataField<int> Level = new("level");
    private static readonly DataField<float> TissueFraction = new("tissue_fraction");
    private static readonly ParquetSchema Schema = new(X, Y, Width, Height, Level, TissueFraction);

    public PatchTable(PatchGridGeometry geometry, IReadOnlyList<PatchCoordinate> patches, IReadOnlyDictionary<string, string> metadata)
    {
        Geometry = geometry;
        Patches = patches;
        Metadata = metadata;
    }

    public PatchGridGeometry Geometry { get; }

    public IReadOnlyList<PatchCoordinate> Patches { get; }

    /// <summary>All key-value metadata of the file, the geometry keys included.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public static async Task WriteAsync(string path, PatchGrid grid, IReadOnlyDictionary<string, string> extraMetadata, CancellationToken cancellationToken = default)
    {
        int n = grid.Patches.Count;
        var xs = new long[n]; var ys = new long[n]; var fractions = new float[n];
        for (int i = 0; i < n; i++)
        {
            (xs[i], ys[i], fractions[i]) = (grid.Patches[i].Level0X, grid.Patches[i].Level0Y, grid.Patches[i].TissueFraction);
        }
        PatchGridGeometry g = grid.Geometry;
        var metadata = new Dictionary<string, string>(extraMetadata) { ["pathofed.version"] = PathoFedVersion.Current };
        foreach (var (key, value) in GeometryToMetadata(g)) metadata[key] = value;

        await AtomicFile.WriteAsync(path, async stream =>
        {
            await using ParquetWriter writer = await ParquetWriter.CreateAsync(Schema, stream, cancellationToken: cancellationToken);
            writer.CustomMetadata = metadata;
            using ParquetRowGroupWriter group = writer.CreateRowGroup();
            await group.WriteAsync<long>(X, xs, cancellationToken: cancellationToken);
            await group.WriteAsync<long>(Y, ys, cancellationToken: cancellationToken);
            await group.WriteAsync<int>(Width, Filled(n, g.Level0PatchSize), cancellationToken: cancellationToken);
            await group.WriteAsync<int>(Height, Filled(n, g.Level0PatchSize), cancellationToken: cancellationToken);
            await group.WriteAsync<int>(Level, Filled(n, g.ReadLevel), cancellationToken: cancellationToken);
            await group.WriteAsync<float>(TissueFraction, fractions, cancellationToken: cancellationToken);
        });
    }

    /// <exception cref="InvalidDataException">The file is not a PathoFed patch table.</exception>
    public static async Task<PatchTable> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        await using FileStream stream = File.OpenRead(path);
        await using ParquetReader reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
        foreach (DataField field in Schema.DataFields)
        {
            if (reader.Schema.FindDataField(field.Name) is null) throw new InvalidDataException($"'{path}' has no column '{field.Name}': not a PathoFed patch table");
        }
        PatchGridGeometry geometry = GeometryFromMetadata(reader.CustomMetadata, path);

        var patches = new List<PatchCoordinate>();
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using ParquetRowGroupReader group = reader.OpenRowGroupReader(g);
            int n = checked((int)group.RowCount);
            var xs = new long[n]; var ys = new long[n]; var fractions = new float[n];
            await group.ReadAsync<long>(X, xs, cancellationToken: cancellationToken);
            await group.ReadAsync<long>(Y, ys, cancellationToken: cancellationToken);
            await group.ReadAsync<float>(TissueFraction, fractions, cancellationToken: cancellationToken);
            for (int i = 0; i < n; i++) patches.Add(new PatchCoordinate(xs[i], ys[i], fractions[i]));
        }
        return new PatchTable(geometry, patches, new Dictionary<string, string>(reader.CustomMetadata));
    }

    private static int[] Filled(int n, int value)
    {
        var values = new int[n];
        Array.Fill(values, value);
        return values;
    }

    private static IEnumerable<(string Key, string Value)> GeometryToMetadata(PatchGridGeometry g)
    {
        yield return ("pathofed.target_mpp", Format(g.TargetMpp));
        yield return ("pathofed.level0_per_output_px", Format(g.Level0PerOutputPx));
        yield return ("pathofed.patch_size_px", Format(g.PatchSizePx));
        yield return ("pathofed.overlap_px", Format(g.OverlapPx));
        yield return ("pathofed.level0_patch_size", Format(g.Level0PatchSize));
        yield return ("pathofed.level0_stride", Format(g.Level0Stride));
        yield return ("pathofed.read_level", Format(g.ReadLevel));
        yield return ("pathofed.read_size_px", Format(g.ReadSizePx));
    }

    private static PatchGridGeometry GeometryFromMetadata(IReadOnlyDictionary<string, string> m, string path)
    {
        double Get(string key) =>
            m.TryGetValue("pathofed." + key, out string? text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
                ? value
                : throw new InvalidDataException($"'{path}' lacks metadata 'pathofed.{key}': not a PathoFed patch table");
        return new PatchGridGeometry(Get("target_mpp"), Get("level0_per_output_px"), (int)Get("patch_size_px"), (int)Get("overlap_px"),
            (int)Get("level0_patch_size"), (int)Get("level0_stride"), (int)Get("read_level"), (int)Get("read_size_px"));
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
