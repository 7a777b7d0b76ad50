using System.Globalization;
using Parquet;
using Parquet.Schema;
using PathoFed.Slides.Patching;
using PathoFed.Slides.Tiling;

namespace PathoFed.Features.Storage;

/// <summary>What produced a features table: recorded as key-value metadata so that scoring can refuse mismatched features.</summary>
public sealed record FeatureTableInfo(string SlideId, string ExtractorId, string ExtractorSha256, int EmbeddingDim, PatchGridGeometry Geometry);

/// <summary>
/// <c>features.parquet</c>: one row per patch, its level-0 coordinates and footprint and its embedding as a list
/// column (<c>list&lt;float&gt;</c>), which pandas/pyarrow, DuckDB and Parquet.Net read directly.
/// </summary>
public static class FeatureTable
{
    public const string FileName = "features.parquet";

    internal static readonly ParquetSchema Schema = new([.. PatchColumns.CreateFields(), new ListField("embedding", new DataField<float>("element", false))]);

    /// <summary>The embedding's leaf column as <paramref name="schema"/> resolves it (path embedding/list/element, its levels set).</summary>
    internal static DataField EmbeddingLeaf(ParquetSchema schema, string path)
    {
        DataField[] fields = schema.GetDataFields();
        return fields.Length == 7 && fields[6].Path.ToString().StartsWith("embedding", StringComparison.Ordinal)
            ? fields[6]
            : throw new InvalidDataException($"'{path}' has no embedding list column after the 6 patch columns: not a PathoFed features table");
    }
}

/// <summary>Rows of a features table: coordinates and a row-major n x d embedding matrix.</summary>
public sealed record FeatureRows(FeatureTableInfo Info, PatchCoordinate[] Patches, float[] Embeddings)
{
    public int Count => Patches.Length;

    public ReadOnlySpan<float> Embedding(int row) => Embeddings.AsSpan(row * Info.EmbeddingDim, Info.EmbeddingDim);

    /// <summary>The table's metadata and row count, without reading any embedding: how a resumed job checks a finished slide.</summary>
    /// <exception cref="InvalidDataException">The file is not a PathoFed features table.</exception>
    public static async Task<(FeatureTableInfo Info, long Rows)> ReadInfoAsync(string path, CancellationToken cancellationToken = default)
    {
        await using FileStream stream = File.OpenRead(path);
        await using ParquetReader reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
        FeatureTableInfo info = FeatureTableMetadata.Parse(reader.CustomMetadata, path);
        long rows = 0;
        for (int g = 0; g < reader.RowGroupCount; g++) rows += reader.RowGroups[g].RowCount;
        return (info, rows);
    }

    /// <exception cref="InvalidDataException">The file is not a PathoFed features table.</exception>
    public static async Task<FeatureRows> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        await using FileStream stream = File.OpenRead(path);
        await using ParquetReader reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
        FeatureTableInfo info = FeatureTableMetadata.Parse(reader.CustomMetadata, path);
        int d = info.EmbeddingDim;
        PatchColumns.RequireIn(reader.Schema, path, "features table");
        DataField leaf = FeatureTable.EmbeddingLeaf(reader.Schema, path);
        var patches = new List<PatchCoordinate>();
        var embeddings = new List<float>();
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using ParquetRowGroupReader group = reader.OpenRowGroupReader(g);
            PatchCoordinate[] groupPatches = await PatchColumns.ReadAsync(group, reader.Schema, cancellationToken);
            int n = groupPatches.Length;
            var values = new float[n * d];
            // A list leaf is read raw, with its levels; every row holds exactly d values (checked below).
            var definition = new int[n * d]; var repetition = new int[n * d];
            await group.ReadRawAsync<float>(leaf, values, definition, repetition, cancellationToken);
            for (int i = 0; i < n * d; i++)
            {
                if (repetition[i] != (i % d == 0 ? 0 : 1))
                {
                    throw new InvalidDataException($"'{path}': embedding of row {i / d} in row group {g} does not have {d} values");
                }
            }
            patches.AddRange(groupPatches);
            embeddings.AddRange(values);
        }
        return new FeatureRows(info, patches.ToArray(), embeddings.ToArray());
    }
}

/// <summary>
/// Streams rows into a features table, one row group per <see cref="AppendAsync"/> call, through a temporary file
/// that <see cref="CompleteAsync"/> renames into place: a killed job never leaves a half-written table.
/// </summary>
public sealed class FeatureTableWriter : IAsyncDisposable
{
    private readonly string _path;
    private readonly string _temp;
    private readonly FeatureTableInfo _info;
    private readonly FileStream _stream;
    private readonly ParquetWriter _writer;
    private bool _completed;

    private FeatureTableWriter(string path, string temp, FeatureTableInfo info, FileStream stream, ParquetWriter writer)
    {
        (_path, _temp, _info, _stream, _writer) = (path, temp, info, stream, writer);
    }

    public static async Task<FeatureTableWriter> CreateAsync(string path, FeatureTableInfo info, CancellationToken cancellationToken = default)
    {
        string temp = AtomicFile.TempPathFor(path);
        var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        try
        {
            ParquetWriter writer = await ParquetWriter.CreateAsync(FeatureTable.Schema, stream, cancellationToken: cancellationToken);
            writer.CustomMetadata = FeatureTableMetadata.Format(info);
            return new FeatureTableWriter(path, temp, info, stream, writer);
        }
        catch
        {
            await stream.DisposeAsync();
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Writes <paramref name="patches"/> and their embeddings (row-major, patches.Length x EmbeddingDim) as one row group.</summary>
    public async Task AppendAsync(ReadOnlyMemory<PatchCoordinate> patches, ReadOnlyMemory<float> embeddings, CancellationToken cancellationToken = default)
    {
        int n = patches.Length, d = _info.EmbeddingDim;
        if (embeddings.Length != n * d)
        {
            throw new ArgumentException($"{embeddings.Length} embedding values do not make {n} rows of {d}", nameof(embeddings));
        }
        if (n == 0) return;

        DataField leaf = FeatureTable.EmbeddingLeaf(FeatureTable.Schema, _path);
        int[] definition = new int[n * d];
        Array.Fill(definition, leaf.MaxDefinitionLevel);
        int[] repetition = new int[n * d];
        for (int i = 0; i < n * d; i++) repetition[i] = i % d == 0 ? 0 : 1; // 0 starts a new row's list

        using ParquetRowGroupWriter group = _writer.CreateRowGroup();
        await PatchColumns.WriteAsync(group, FeatureTable.Schema, patches, _info.Geometry, cancellationToken);
        await group.WriteAllPartsAsync<float>(leaf, embeddings, definition, repetition, cancellationToken);
    }

    /// <summary>Finishes the file and moves it into place.</summary>
    public async Task CompleteAsync()
    {
        await _writer.DisposeAsync();
        _stream.Flush(flushToDisk: true);
        await _stream.DisposeAsync();
        File.Move(_temp, _path, overwrite: true);
        _completed = true;
    }

    /// <summary>Without <see cref="CompleteAsync"/>, the partial file is deleted and the target left untouched.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_completed) return;
        await _writer.DisposeAsync();
        await _stream.DisposeAsync();
        File.Delete(_temp);
    }
}

internal static class FeatureTableMetadata
{
    public static Dictionary<string, string> Format(FeatureTableInfo info) => new()
    {
        ["pathofed.version"] = PathoFedVersion.Current,
        ["pathofed.slide_id"] = info.SlideId,
        ["pathofed.extractor_id"] = info.ExtractorId,
        ["pathofed.extractor_sha256"] = info.ExtractorSha256,
        ["pathofed.embedding_dim"] = info.EmbeddingDim.ToString(CultureInfo.InvariantCulture),
        ["pathofed.target_mpp"] = info.Geometry.TargetMpp.ToString("R", CultureInfo.InvariantCulture),
        ["pathofed.patch_size_px"] = info.Geometry.PatchSizePx.ToString(CultureInfo.InvariantCulture),
        ["pathofed.level0_patch_size"] = info.Geometry.Level0PatchSize.ToString(CultureInfo.InvariantCulture),
        ["pathofed.read_level"] = info.Geometry.ReadLevel.ToString(CultureInfo.InvariantCulture),
        ["pathofed.geometry"] = System.Text.Json.JsonSerializer.Serialize(info.Geometry),
    };

    public static FeatureTableInfo Parse(IReadOnlyDictionary<string, string> m, string path)
    {
        string Get(string key) => m.TryGetValue("pathofed." + key, out string? value)
            ? value
            : throw new InvalidDataException($"'{path}' lacks metadata 'pathofed.{key}': not a PathoFed features table");
        PatchGridGeometry geometry = System.Text.Json.JsonSerializer.Deserialize<PatchGridGeometry>(Get("geometry"))
            ?? throw new InvalidDataException($"'{path}' has empty grid geometry metadata");
        return new FeatureTableInfo(Get("slide_id"), Get("extractor_id"), Get("extractor_sha256"),
            int.Parse(Get("embedding_dim"), CultureInfo.InvariantCulture), geometry);
    }
}
