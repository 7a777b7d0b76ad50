using PathoFed.Features.Storage;
using PathoFed.Slides.Patching;

namespace PathoFed.Mil.Tests.Data;

/// <summary>Writes real features tables into <c>&lt;dir&gt;/&lt;slideId&gt;/features.parquet</c>, the layout the loader reads.</summary>
internal static class FeatureFolders
{
    public const string ExtractorId = "pathofed-he-texture-v1";
    public const string ExtractorSha256 = "1b9c3e6f00aa";

    private static readonly PatchGridGeometry Geometry = new(0.5, 1.0, 224, 0, 224, 224, 0, 224);

    /// <summary>A bag of <paramref name="patches"/> rows of width <paramref name="dim"/>; values encode slide, row and column so tests can check order.</summary>
    public static Task WriteAsync(string featuresDir, string slideId, int patches, int dim = 3,
        string extractorId = ExtractorId, string sha256 = ExtractorSha256, Func<int, float>? value = null)
    {
        float[] embeddings = new float[patches * dim];
        for (int i = 0; i < embeddings.Length; i++) embeddings[i] = value?.Invoke(i) ?? i;
        return WriteAsync(featuresDir, slideId, dim, embeddings, extractorId, sha256);
    }

    public static async Task WriteAsync(string featuresDir, string slideId, int dim, float[] embeddings,
        string extractorId = ExtractorId, string sha256 = ExtractorSha256)
    {
        string folder = Path.Combine(featuresDir, slideId);
        Directory.CreateDirectory(folder);
        var info = new FeatureTableInfo(slideId, extractorId, sha256, dim, Geometry);
        PatchCoordinate[] patches = Enumerable.Range(0, embeddings.Length / dim).Select(i => new PatchCoordinate(i * 224L, 0, 1f)).ToArray();
        await using FeatureTableWriter writer = await FeatureTableWriter.CreateAsync(Path.Combine(folder, FeatureTable.FileName), info);
        await writer.AppendAsync(patches, embeddings);
        await writer.CompleteAsync();
    }
}
