using System.Text.Json;
using System.Text.Json.Serialization;

namespace PathoFed.Features.Extractors;

/// <summary>
/// A feature extractor as described by its manifest in <c>models/</c>: which ONNX file, what it takes (name, size,
/// scaling, mean/std, µm/px) and what it gives (output name, embedding size). The pipeline reads patches to match.
/// </summary>
public sealed record ExtractorManifest
{
    /// <summary>The <see cref="Onnx"/> value of a model PathoFed builds itself instead of reading a file.</summary>
    public const string Embedded = "embedded";

    public required string Id { get; init; }

    public string? Description { get; init; }

    /// <summary>ONNX file name relative to the manifest (or <c>$PATHOFED_MODELS</c>), or <see cref="Embedded"/>.</summary>
    public required string Onnx { get; init; }

    public string? Licence { get; init; }

    /// <summary>Expected SHA-256 of the ONNX bytes; null for models each user exports from their own weights.</summary>
    public string? Sha256 { get; init; }

    public required ExtractorInput Input { get; init; }

    [JsonPropertyName("target_mpp")]
    public required double TargetMpp { get; init; }

    public required ExtractorOutput Output { get; init; }

    /// <summary>Where the manifest was read from; null for one built in code.</summary>
    [JsonIgnore]
    public string? ManifestPath { get; init; }

    public bool IsEmbedded => Onnx == Embedded;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <exception cref="ModelLoadException">The file is missing, is not JSON, or lacks or contradicts a required field.</exception>
    public static ExtractorManifest Read(string path)
    {
        ExtractorManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ExtractorManifest>(File.ReadAllText(path), Json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new ModelLoadException($"Extractor manifest '{path}' cannot be read: {e.Message}", e);
        }
        if (manifest is null) throw new ModelLoadException($"Extractor manifest '{path}' is empty.");
        return (manifest with { ManifestPath = Path.GetFullPath(path) }).Validate();
    }

    /// <exception cref="ModelLoadException">A value is out of range; the message names the manifest and the field.</exception>
    public ExtractorManifest Validate()
    {
        string where = ManifestPath is null ? $"Extractor '{Id}'" : $"Extractor manifest '{ManifestPath}'";
        void Require(bool ok, string what)
        {
            if (!ok) throw new ModelLoadException($"{where}: {what}");
        }
        Require(!string.IsNullOrWhiteSpace(Id), "'id' is empty.");
        Require(!string.IsNullOrWhiteSpace(Onnx), "'onnx' is empty: give the ONNX file name.");
        Require(!string.IsNullOrWhiteSpace(Input.Name), "'input.name' is empty.");
        Require(Input.SizePx is >= 16 and <= 4096, $"'input.size_px' must be 16-4096, not {Input.SizePx}.");
        Require(Input.PatchPx is null or (>= 16 and <= 8192), $"'input.patch_px' must be 16-8192 or null, not {Input.PatchPx}.");
        Require(Input.Range is "0-1" or "0-255", $"'input.range' must be \"0-1\" or \"0-255\", not \"{Input.Range}\".");
        Require(Input.Mean is null || Input.Mean.Length == 3, "'input.mean' must hold 3 values (R, G, B) or be null.");
        Require(Input.Std is null || (Input.Std.Length == 3 && Input.Std.All(s => s > 0)), "'input.std' must hold 3 positive values (R, G, B) or be null.");
        Require(double.IsFinite(TargetMpp) && TargetMpp > 0, $"'target_mpp' must be positive, not {TargetMpp}.");
        Require(!string.IsNullOrWhiteSpace(Output.Name), "'output.name' is empty.");
        Require(Input.Dtype is "float32" or "float16" && Output.Dtype is "float32" or "float16", "'input.dtype' and 'output.dtype' must be \"float32\" or \"float16\".");
        Require(Output.Dim is >= 1 and <= 65536, $"'output.dim' must be 1-65536, not {Output.Dim}.");
        Require(Sha256 is null || (Sha256.Length == 64 && Sha256.All(char.IsAsciiHexDigitLower)), "'sha256' must be 64 lower-case hex digits or null.");
        return this;
    }
}

/// <summary>The model input: an NCHW float RGB tensor of <see cref="SizePx"/> squared pixels, scaled then normalised.</summary>
public sealed record ExtractorInput
{
    public required string Name { get; init; }

    [JsonPropertyName("size_px")]
    public required int SizePx { get; init; }

    /// <summary>
    /// Patch side cut at the target µm/px before resizing to <see cref="SizePx"/> (CLAM cuts 256 and feeds 224);
    /// null when patches are cut at the input size.
    /// </summary>
    [JsonPropertyName("patch_px")]
    public int? PatchPx { get; init; }

    /// <summary>The patch side cut from the slide: <see cref="PatchPx"/> or else the input size.</summary>
    [JsonIgnore]
    public int CutPx => PatchPx ?? SizePx;

    /// <summary>"float32", or "float16" for a half-precision export (converted at the model boundary).</summary>
    public string Dtype { get; init; } = "float32";

    [JsonIgnore]
    public bool IsHalf => Dtype == "float16";

    /// <summary>"0-255" feeds raw 8-bit values; "0-1" divides by 255 first. <see cref="Mean"/> and <see cref="Std"/> are in that range.</summary>
    public string Range { get; init; } = "0-1";

    public float[]? Mean { get; init; }

    public float[]? Std { get; init; }
}

public sealed record ExtractorOutput
{
    public required string Name { get; init; }

    /// <summary>"float32" or "float16".</summary>
    public string Dtype { get; init; } = "float32";

    [JsonIgnore]
    public bool IsHalf => Dtype == "float16";

    public required int Dim { get; init; }
}
