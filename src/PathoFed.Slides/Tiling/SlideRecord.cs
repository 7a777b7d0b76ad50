using System.Text.Json;
using System.Text.Json.Serialization;

namespace PathoFed.Slides.Tiling;

/// <summary>
/// <c>slide.json</c>: the slide's properties, the parameters used and what was found. Written last, it marks the
/// slide folder complete; its fingerprint lets a re-run skip the slide.
/// </summary>
public sealed record SlideRecord(
    string SlideId,
    string SlidePath,
    string Fingerprint,
    string PathofedVersion,
    DateTimeOffset CreatedUtc,
    SlideMetadata Slide,
    TilingSettings Settings,
    Patching.PatchGridGeometry Geometry,
    TissueSummary Tissue,
    long CandidatePatches,
    int Patches)
{
    public const string FileName = "slide.json";

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public void Write(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, JsonOptions));

    /// <summary>The record in <paramref name="path"/>, or null when it is missing or unreadable (then the slide is redone).</summary>
    public static SlideRecord? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<SlideRecord>(File.ReadAllText(path), JsonOptions) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>What tissue detection found.</summary>
public sealed record TissueSummary(int SaturationThreshold, int Regions, double AreaLevel0Px, double? AreaMm2, double MaskDownsample);
