using System.Text.Json;
using PathoFed.Features.Extractors;

namespace PathoFed.Features.Tests.Extractors;

public sealed class ModelManifestTests
{
    [Fact]
    public void HandETextureManifest_DescribesTheEmbeddedModel()
    {
        string path = Path.Combine(ExtractorCatalogTests.RepositoryRoot(), "models", HandETextureExtractor.Id + ".json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement manifest = document.RootElement;
        JsonElement input = manifest.GetProperty("input");
        JsonElement output = manifest.GetProperty("output");

        Assert.Equal(HandETextureExtractor.Id, manifest.GetProperty("id").GetString());
        Assert.Equal("embedded", manifest.GetProperty("onnx").GetString());
        // A change to the graph code changes the bytes: record the new hash (and, if features change, a new id).
        Assert.Equal(HandETextureExtractor.Sha256, manifest.GetProperty("sha256").GetString());
        Assert.Equal(HandETextureExtractor.InputName, input.GetProperty("name").GetString());
        Assert.Equal("NCHW", input.GetProperty("layout").GetString());
        Assert.Equal("RGB", input.GetProperty("colour").GetString());
        Assert.Equal(HandETextureExtractor.InputSizePx, input.GetProperty("size_px").GetInt32());
        Assert.Equal(JsonValueKind.Null, input.GetProperty("mean").ValueKind);
        Assert.Equal(HandETextureExtractor.TargetMpp, manifest.GetProperty("target_mpp").GetDouble());
        Assert.Equal(HandETextureExtractor.OutputName, output.GetProperty("name").GetString());
        Assert.Equal(HandETextureExtractor.EmbeddingDim, output.GetProperty("dim").GetInt32());
    }
}
