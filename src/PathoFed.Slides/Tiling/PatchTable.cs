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

    private static readonly ParquetSchema Schema = new(PatchColumns.CreateFields());

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
        PatchGridGeometry g = grid.Geometry;
        var metadata = new Dictionary<string, string>(extraMetadata) { ["pathofed.version"] = PathoFedVersion.Current };
        foreach (var (key, value) in GeometryToMetadata(g)) metadata[key] = value;

        await AtomicFile.WriteAsync(path, async stream =>
        {
            await using ParquetWriter writer = await ParquetWriter.CreateAsync(Schema, stream, cancellationToken: cancellationToken);
            writer.CustomMetadata = metadata;
            using ParquetRowGroupWriter group = writer.CreateRowGroup();
            await PatchColumns.WriteAsync(group, Schema, grid.Patches.ToArray(), g, cancellationToken);
        });
    }

    /// <exception cref="InvalidDataException">The file is not a PathoFed patch table.</exception>
    public static async Task<PatchTable> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        await using FileStream stream = File.OpenRead(path);
        await using ParquetReader reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
        PatchColumns.RequireIn(reader.Schema, path, "patch table");
        PatchGridGeometry geometry = GeometryFromMetadata(reader.CustomMetadata, path);

        var patches = new List<PatchCoordinate>();
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using ParquetRowGroupReader group = reader.OpenRowGroupReader(g);
            patches.AddRange(await PatchColumns.ReadAsync(group, reader.Schema, cancellationToken));
        }
        return new PatchTable(geometry, patches, new Dictionary<string, string>(reader.CustomMetadata));
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
