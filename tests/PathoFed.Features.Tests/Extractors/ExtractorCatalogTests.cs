using PathoFed.Features.Extractors;

namespace PathoFed.Features.Tests.Extractors;

public sealed class ExtractorCatalogTests
{
    [Fact]
    public void Find_EveryManifestInModels_ParsesAndValidates()
    {
        string models = Path.Combine(RepositoryRoot(), "models");
        string[] manifests = Directory.GetFiles(models, "*.json");

        Assert.True(manifests.Length >= 9, $"expected the default and eight published extractors in {models}");
        foreach (string path in manifests)
        {
            ExtractorManifest manifest = ExtractorCatalog.Find(path);
            Assert.Equal(Path.GetFileNameWithoutExtension(path), manifest.Id);
        }
    }

    [Fact]
    public void Find_DefaultId_IsTheEmbeddedModelAndAgreesWithItsCode()
    {
        ExtractorManifest fromFile = ExtractorCatalog.Find(ExtractorCatalog.DefaultId);
        ExtractorManifest inCode = HandETextureExtractor.Manifest;

        Assert.True(fromFile.IsEmbedded);
        Assert.Equal(inCode.Input with { Mean = null, Std = null }, fromFile.Input with { Mean = null, Std = null });
        Assert.Equal(inCode.Output, fromFile.Output);
        Assert.Equal(inCode.TargetMpp, fromFile.TargetMpp);
    }

    [Fact]
    public void Find_UnknownId_ListsKnownIdsAndTheFoldersSearched()
    {
        var e = Assert.Throws<ModelLoadException>(() => ExtractorCatalog.Find("no-such-model"));

        Assert.Contains("No extractor 'no-such-model'", e.Message);
        Assert.Contains(HandETextureExtractor.Id, e.Message);
        Assert.Contains("uni", e.Message);
    }

    [Fact]
    public void Find_OnnxWithoutManifestBeside_AsksForOne()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("lonely.onnx"), TinyModels.MeanColour());

        var e = Assert.Throws<ModelLoadException>(() => ExtractorCatalog.Find(temp.File("lonely.onnx")));
        Assert.Contains("lonely.json", e.Message);
    }

    [Fact]
    public void Find_OnnxWithManifestBeside_UsesThatFile()
    {
        using var temp = new TempFolder();
        TinyModels.Write(temp.Path, "beside", TinyModels.MeanColour());

        ExtractorManifest manifest = ExtractorCatalog.Find(temp.File("beside.onnx"));
        Assert.Equal(temp.File("beside.onnx"), ExtractorCatalog.OnnxPathFor(manifest));
    }

    [Theory]
    [InlineData("""{"id":"x","onnx":"x.onnx","input":{"name":"p","size_px":224,"range":"0-2"},"target_mpp":0.5,"output":{"name":"e","dim":8}}""", "'input.range'")]
    [InlineData("""{"id":"x","onnx":"x.onnx","input":{"name":"p","size_px":224,"mean":[1,2]},"target_mpp":0.5,"output":{"name":"e","dim":8}}""", "'input.mean'")]
    [InlineData("""{"id":"x","onnx":"x.onnx","input":{"name":"p","size_px":224},"target_mpp":-1,"output":{"name":"e","dim":8}}""", "'target_mpp'")]
    [InlineData("""{"id":"x","onnx":"x.onnx","input":{"name":"p","size_px":224},"target_mpp":0.5}""", "output")]
    [InlineData("""{"id":"x",""", "cannot be read")]
    public void Read_InvalidManifest_NamesTheFileAndTheField(string json, string expected)
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("bad.json"), json);

        var e = Assert.Throws<ModelLoadException>(() => ExtractorManifest.Read(temp.File("bad.json")));
        Assert.Contains("bad.json", e.Message);
        Assert.Contains(expected, e.Message);
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PathoFed.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"PathoFed.sln not found above {AppContext.BaseDirectory}");
    }
}
