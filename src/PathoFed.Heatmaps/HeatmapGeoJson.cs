using System.Text.Json;
using PathoFed.Slides.Patching;

namespace PathoFed.Heatmaps;

/// <summary>
/// <c>heatmap.geojson</c>: one square polygon per patch in level-0 pixels, as QuPath 0.4+ imports detections (File >
/// Import objects): <c>objectType</c> "detection", a classification with a colour, and <c>measurements</c> as a
/// name-to-number map, so Measure > Show measurement maps colours the patches by score.
/// </summary>
internal static class HeatmapGeoJson
{
    public const string FileName = "heatmap.geojson";

    public const string ScoreMeasurement = "score";

    private const int FlushBytes = 1 << 16;

    private const string ClassificationName = "PathoFed patch";
    private static readonly int[] ClassificationRgb = [200, 90, 20];

    public static void Write(string path, IReadOnlyList<PatchCoordinate> patches, ReadOnlySpan<float> scores, int level0PatchSize, string scoreKind)
    {
        float[] values = scores.ToArray();
        AtomicFile.Write(path, stream =>
        {
            using var json = new Utf8JsonWriter(stream);
            json.WriteStartObject();
            json.WriteString("type", "FeatureCollection");
            json.WriteStartArray("features");
            for (int i = 0; i < patches.Count; i++)
            {
                WriteFeature(json, patches[i], values[i], level0PatchSize, scoreKind);
                // Utf8JsonWriter keeps everything until flushed: a slide's 100,000 patches would otherwise sit in memory.
                if (json.BytesPending > FlushBytes) json.Flush();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    private static void WriteFeature(Utf8JsonWriter json, PatchCoordinate patch, float score, int size, string scoreKind)
    {
        json.WriteStartObject();
        json.WriteString("type", "Feature");
        json.WriteStartObject("geometry");
        json.WriteString("type", "Polygon");
        json.WriteStartArray("coordinates");
        json.WriteStartArray();
        long x = patch.Level0X, y = patch.Level0Y;
        // GeoJSON rings are closed: the first corner is repeated at the end.
        foreach ((long px, long py) in (ReadOnlySpan<(long, long)>)[(x, y), (x + size, y), (x + size, y + size), (x, y + size), (x, y)])
        {
            json.WriteStartArray();
            json.WriteNumberValue(px);
            json.WriteNumberValue(py);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteEndArray();
        json.WriteEndObject();

        json.WriteStartObject("properties");
        json.WriteString("objectType", "detection");
        json.WriteString("name", $"{scoreKind} {OverlayImage.Label(score)}");
        json.WriteStartObject("classification");
        json.WriteString("name", ClassificationName);
        json.WriteStartArray("color");
        foreach (int channel in ClassificationRgb) json.WriteNumberValue(channel);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteStartObject("measurements");
        json.WriteNumber(ScoreMeasurement, score);
        json.WriteEndObject();
        json.WriteEndObject();

        json.WriteEndObject();
    }
}
