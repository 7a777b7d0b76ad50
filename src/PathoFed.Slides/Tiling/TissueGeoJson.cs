using System.Text.Json;
using PathoFed.Slides.Tissue;

namespace PathoFed.Slides.Tiling;

/// <summary>
/// <c>tissue.geojson</c>: the tissue regions as a GeoJSON FeatureCollection of polygons (outer ring, then holes) in
/// level-0 pixels, with QuPath's annotation properties so that File > Import objects shows them on the slide.
/// </summary>
public static class TissueGeoJson
{
    public const string FileName = "tissue.geojson";

    public static void Write(string path, IReadOnlyList<TissueRegion> regions, double? mpp)
    {
        AtomicFile.Write(path, stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
            json.WriteStartObject();
            json.WriteString("type", "FeatureCollection");
            json.WriteStartArray("features");
            for (int i = 0; i < regions.Count; i++) WriteFeature(json, regions[i], i, mpp);
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    private static void WriteFeature(Utf8JsonWriter json, TissueRegion region, int index, double? mpp)
    {
        json.WriteStartObject();
        json.WriteString("type", "Feature");
        json.WriteString("id", $"tissue-{index}");
        json.WriteStartObject("geometry");
        json.WriteString("type", "Polygon");
        json.WriteStartArray("coordinates");
        WriteRing(json, region.Outer);
        foreach (IReadOnlyList<Level0Point> hole in region.Holes) WriteRing(json, hole);
        json.WriteEndArray();
        json.WriteEndObject();

        json.WriteStartObject("properties");
        json.WriteString("objectType", "annotation");
        json.WriteString("name", $"Tissue {index + 1}");
        json.WriteStartObject("classification");
        json.WriteString("name", "Tissue");
        json.WriteStartArray("color");
        json.WriteNumberValue(0); json.WriteNumberValue(170); json.WriteNumberValue(0);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteStartObject("measurements");
        json.WriteNumber("Area level-0 px^2", Math.Round(region.AreaLevel0Px));
        if (mpp is { } m) json.WriteNumber("Area mm^2", Math.Round(region.AreaLevel0Px * m * m / 1e6, 4));
        json.WriteNumber("Holes", region.Holes.Count);
        json.WriteEndObject();
        json.WriteEndObject();

        json.WriteEndObject();
    }

    /// <summary>GeoJSON rings are closed: the first position is repeated at the end.</summary>
    private static void WriteRing(Utf8JsonWriter json, IReadOnlyList<Level0Point> ring)
    {
        json.WriteStartArray();
        for (int i = 0; i <= ring.Count; i++)
        {
            Level0Point p = ring[i % ring.Count];
            json.WriteStartArray();
            json.WriteNumberValue(Math.Round(p.X, 1));
            json.WriteNumberValue(Math.Round(p.Y, 1));
            json.WriteEndArray();
        }
        json.WriteEndArray();
    }
}
