using DuckDB.NET.Data;
using PathoFed.Features.Storage;
using PathoFed.Slides.Patching;

namespace PathoFed.Features.Tests.Storage;

public sealed class FeatureTableTests
{
    private static readonly PatchGridGeometry Geometry = new(0.5, 1.002, 224, 0, 224, 224, 0, 224);
    private static readonly FeatureTableInfo Info = new("slide-7", "pathofed-he-texture-v1", "1b9c3e6f", 5, Geometry);

    [Fact]
    public async Task WriteThenRead_SeveralRowGroups_RoundTripsCoordinatesEmbeddingsAndInfo()
    {
        using var temp = new TempFolder();
        string path = temp.File(FeatureTable.FileName);
        await WriteSampleAsync(path);

        FeatureRows rows = await FeatureRows.ReadAsync(path);

        Assert.Equal(Info, rows.Info);
        Assert.Equal([new PatchCoordinate(0, 0, 1f), new PatchCoordinate(224, 0, 0.5f), new PatchCoordinate(0, 224, 0.75f)], rows.Patches);
        Assert.Equal([10f, 11, 12, 13, 14], rows.Embedding(2).ToArray());
        Assert.Equal(Enumerable.Range(0, 15).Select(i => (float)i), rows.Embeddings);
    }

    [Fact]
    public async Task Write_IsReadByDuckDbAsAListColumn()
    {
        using var temp = new TempFolder();
        string path = temp.File(FeatureTable.FileName);
        await WriteSampleAsync(path);

        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"select x, y, width, level, tissue_fraction, embedding from '{path}' order by y, x";
        using var reader = command.ExecuteReader();
        var seen = new List<(long X, long Y, int Width, float Fraction, float[] Embedding)>();
        while (reader.Read())
        {
            float[] embedding = ((System.Collections.IEnumerable)reader.GetValue(5)).Cast<object>().Select(Convert.ToSingle).ToArray();
            seen.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetFloat(4), embedding));
        }

        Assert.Equal(3, seen.Count);
        Assert.Equal((224L, 0L, 224, 0.5f), (seen[1].X, seen[1].Y, seen[1].Width, seen[1].Fraction));
        Assert.Equal([5f, 6, 7, 8, 9], seen[1].Embedding);
    }

    [Fact]
    public async Task Dispose_WithoutComplete_LeavesNoFileBehind()
    {
        using var temp = new TempFolder();
        string path = temp.File(FeatureTable.FileName);
        await using (FeatureTableWriter writer = await FeatureTableWriter.CreateAsync(path, Info))
        {
            await writer.AppendAsync(new[] { new PatchCoordinate(0, 0, 1f) }, new float[5]);
        }
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public async Task Append_WrongEmbeddingLength_NamesBothCounts()
    {
        using var temp = new TempFolder();
        await using FeatureTableWriter writer = await FeatureTableWriter.CreateAsync(temp.File(FeatureTable.FileName), Info);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => writer.AppendAsync(new[] { new PatchCoordinate(0, 0, 1f) }, new float[4]));
        Assert.Contains("4 embedding values do not make 1 rows of 5", error.Message);
    }

    [Fact]
    public async Task Read_PatchTableInsteadOfFeatures_SaysWhatIsMissing()
    {
        using var temp = new TempFolder();
        string path = temp.File("not-features.parquet");
        await PathoFed.Slides.Tiling.PatchTable.WriteAsync(path, new PatchGrid(Geometry, [new PatchCoordinate(0, 0, 1f)], 1), new Dictionary<string, string>());
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => FeatureRows.ReadAsync(path));
        Assert.Contains("not-features.parquet", error.Message);
        Assert.Contains("not a PathoFed features table", error.Message);
    }

    private static async Task WriteSampleAsync(string path)
    {
        await using FeatureTableWriter writer = await FeatureTableWriter.CreateAsync(path, Info);
        await writer.AppendAsync(new[] { new PatchCoordinate(0, 0, 1f), new PatchCoordinate(224, 0, 0.5f) }, Enumerable.Range(0, 10).Select(i => (float)i).ToArray());
        await writer.AppendAsync(new[] { new PatchCoordinate(0, 224, 0.75f) }, new float[] { 10, 11, 12, 13, 14 });
        await writer.CompleteAsync();
    }
}
