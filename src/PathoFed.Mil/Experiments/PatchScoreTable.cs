using System.Text.Json;
using Parquet;
using Parquet.Schema;
using PathoFed.Slides.Patching;
using PathoFed.Slides.Tiling;

namespace PathoFed.Mil.Experiments;

/// <summary>
/// Per-patch evidence of a scored slide (<c>&lt;slide&gt;.parquet</c>): the patch columns plus <c>score</c>, the head's
/// attention weight or tile score, with the slide id, model and grid geometry as metadata. Heatmaps read it.
/// </summary>
public static class PatchScoreTable
{
    public const string ScoreColumn = "score";

    private static readonly ParquetSchema Schema = new([.. PatchColumns.CreateFields(), new DataField<float>(ScoreColumn)]);

    public sealed record Content(string SlideId, string Model, string ScoreKind, PatchGridGeometry Geometry, PatchCoordinate[] Patches, float[] Scores);

    /// <summary>What the head's instance scores mean, by head kind.</summary>
    public static string ScoreKindFor(Heads.MilHeadKind kind) => kind switch
    {
        Heads.MilHeadKind.Abmil => "attention",
        Heads.MilHeadKind.Chowder => "tile_score",
        _ => "uniform",
    };

    public static Task WriteAsync(string path, Content content, CancellationToken cancellationToken = default)
    {
        if (content.Patches.Length != content.Scores.Length)
        {
            throw new ArgumentException($"{content.Patches.Length} patches but {content.Scores.Length} scores for slide '{content.SlideId}'", nameof(content));
        }
        return AtomicFile.WriteAsync(path, async stream =>
        {
            await using ParquetWriter writer = await ParquetWriter.CreateAsync(Schema, stream, cancellationToken: cancellationToken);
            writer.CustomMetadata = new Dictionary<string, string>
            {
                ["pathofed.version"] = PathoFedVersion.Current,
                ["pathofed.slide_id"] = content.SlideId,
                ["pathofed.model"] = content.Model,
                ["pathofed.score_kind"] = content.ScoreKind,
                ["pathofed.geometry"] = JsonSerializer.Serialize(content.Geometry),
            };
            using ParquetRowGroupWriter group = writer.CreateRowGroup();
            await PatchColumns.WriteAsync(group, Schema, content.Patches, content.Geometry, cancellationToken);
            await group.WriteAsync<float>(Schema.FindDataField(ScoreColumn)!, content.Scores, cancellationToken: cancellationToken);
        });
    }

    /// <exception cref="InvalidDataException">Not a PathoFed patch-score table.</exception>
    public static async Task<Content> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        await using FileStream stream = File.OpenRead(path);
        await using ParquetReader reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
        PatchColumns.RequireIn(reader.Schema, path, "patch-score table");
        DataField score = reader.Schema.FindDataField(ScoreColumn) ?? throw new InvalidDataException($"'{path}' has no '{ScoreColumn}' column: not a PathoFed patch-score table");
        string Get(string key) => reader.CustomMetadata.TryGetValue("pathofed." + key, out string? value)
            ? value
            : throw new InvalidDataException($"'{path}' lacks metadata 'pathofed.{key}': not a PathoFed patch-score table");
        PatchGridGeometry geometry = JsonSerializer.Deserialize<PatchGridGeometry>(Get("geometry")) ?? throw new InvalidDataException($"'{path}' has empty geometry metadata");

        var patches = new List<PatchCoordinate>();
        var scores = new List<float>();
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using ParquetRowGroupReader group = reader.OpenRowGroupReader(g);
            patches.AddRange(await PatchColumns.ReadAsync(group, reader.Schema, cancellationToken));
            var values = new float[group.RowCount];
            await group.ReadAsync<float>(score, values, cancellationToken: cancellationToken);
            scores.AddRange(values);
        }
        return new Content(Get("slide_id"), Get("model"), Get("score_kind"), geometry, patches.ToArray(), scores.ToArray());
    }
}
