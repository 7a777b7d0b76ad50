using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;
using PathoFed.Features.Extractors;
using PathoFed.Features.Onnx;
using PathoFed.Slides;

namespace PathoFed.Features.Tests.Extractors;

/// <summary>
/// The joined, dynamic-batch ResNet-18 against the package's own two graphs run one after the other in ONNX Runtime,
/// on real H&amp;E patches of small_HE.svs.
/// </summary>
public sealed class ResNet18ImageNetTests
{
    private const int Size = ResNet18ImageNet.InputSizePx;

    /// <summary>Level-0 corners of 224 px patches: nuclei, stroma, a tissue edge, empty glass.</summary>
    private static readonly (long X, long Y)[] Corners = [(1120, 896), (896, 1120), (896, 672), (448, 672)];

    private static string PackageFolder => ResNet18ImageNet.CandidateFolders().First(Directory.Exists);

    [Fact]
    public void Run_RealPatchesInOneBatch_EqualThePackagesPreprocessingThenNetworkPatchByPatch()
    {
        float[] pixels = RealPatchesRgb0To255();
        int perPatch = 3 * Size * Size;
        using OnnxFeatureExtractor extractor = OnnxFeatureExtractor.Open(ResNet18ImageNet.Manifest, new ExtractorRuntimeOptions { Device = ExecutionDevice.Cpu });
        Assert.Null(extractor.FixedBatchSize);
        var embeddings = new float[Corners.Length * ResNet18ImageNet.EmbeddingDim];

        extractor.Run(pixels, Corners.Length, embeddings);

        using var preprocess = new InferenceSession(Path.Combine(PackageFolder, "ResNetPrepOnnx", "ResNetPreprocess.onnx"));
        using var network = new InferenceSession(Path.Combine(PackageFolder, "ResNet18Onnx", "ResNet18.onnx"));
        for (int p = 0; p < Corners.Length; p++)
        {
            using var original = OrtValue.CreateTensorValueFromMemory(pixels.AsSpan(p * perPatch, perPatch).ToArray(), [1, 3, Size, Size]);
            using IDisposableReadOnlyCollection<OrtValue> prepared = preprocess.Run(new RunOptions(), ["OriginalInput"], [original], ["PreprocessedInput"]);
            using IDisposableReadOnlyCollection<OrtValue> pooled = network.Run(new RunOptions(), ["Input247"], [prepared[0]], ["Pooling395_Output_0"]);
            float[] expected = pooled[0].GetTensorDataAsSpan<float>().ToArray();
            float[] actual = embeddings.AsSpan(p * 512, 512).ToArray();

            float scale = expected.Max(MathF.Abs);
            Assert.True(scale > 0.1f, $"patch {p}: the reference features are all near zero");
            for (int i = 0; i < expected.Length; i++) Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-4f * scale + 1e-5f, $"patch {p} feature {i}: {actual[i]} vs {expected[i]}");
        }
        // Patches of different tissue give different features (a constant output would match a constant reference).
        Assert.True(embeddings.AsSpan(0, 512).SequenceEqual(embeddings.AsSpan(3 * 512, 512)) is false);
    }

    [Fact]
    public void Run_Float16Precision_FeaturesCloseToFloat32AndSameHash()
    {
        float[] pixels = RealPatchesRgb0To255();
        using OnnxFeatureExtractor single = OnnxFeatureExtractor.Open(ResNet18ImageNet.Manifest, new ExtractorRuntimeOptions { Device = ExecutionDevice.Cpu });
        using OnnxFeatureExtractor half = OnnxFeatureExtractor.Open(ResNet18ImageNet.Manifest,
            new ExtractorRuntimeOptions { Device = ExecutionDevice.Cpu, Precision = ExtractorPrecision.Float16 });
        var expected = new float[Corners.Length * 512];
        var actual = new float[Corners.Length * 512];

        single.Run(pixels, Corners.Length, expected);
        half.Run(pixels, Corners.Length, actual);

        Assert.Equal(single.Sha256, half.Sha256); // the weights' identity, whatever the arithmetic
        Assert.EndsWith("float16", half.Device);
        for (int p = 0; p < Corners.Length; p++)
        {
            ReadOnlySpan<float> a = expected.AsSpan(p * 512, 512), b = actual.AsSpan(p * 512, 512);
            float cosine = System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);
            float scale = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(a);
            float worst = 0;
            for (int i = 0; i < 512; i++) worst = MathF.Max(worst, MathF.Abs(a[i] - b[i]));
            Assert.True(cosine > 0.9999f, $"patch {p}: cosine {cosine}");
            Assert.True(worst < 0.01f * scale, $"patch {p}: largest difference {worst} of a scale {scale}");
            Assert.False(a.SequenceEqual(b)); // float16 really ran
        }
    }

    [Fact]
    public void BuildModel_TwoCalls_IdenticalBytesPinnedInModelsManifest()
    {
        byte[] first = ResNet18ImageNet.BuildModel(), second = ResNet18ImageNet.BuildModel();
        ExtractorManifest committed = ExtractorManifest.Read(Path.Combine(ExtractorCatalogTests.RepositoryRoot(), "models", ResNet18ImageNet.Id + ".json"));

        Assert.Equal(first, second);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(first)), committed.Sha256);
        Assert.Equal(ResNet18ImageNet.Manifest with { Description = null, Licence = null }, committed with { Description = null, Licence = null, ManifestPath = null });
        ModelProto model = OnnxModelEdits.Parse(first);
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "BatchNormalization");
        Assert.Equal("N", model.Graph.Input.Single().Type.TensorType.Shape.Dim[0].DimParam);
    }

    [Fact]
    public void Open_PackageFileChanged_RefusedNamingTheFileAndHash()
    {
        using var temp = new TempFolder();
        string folder = Path.Combine(temp.Path, ResNet18ImageNet.ModelsFolderName);
        foreach (string file in Directory.GetFiles(PackageFolder, "*.onnx", SearchOption.AllDirectories))
        {
            string target = Path.Combine(folder, Path.GetRelativePath(PackageFolder, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        string network = Path.Combine(folder, "ResNet18Onnx", "ResNet18.onnx");
        using (FileStream stream = File.OpenWrite(network))
        {
            stream.Seek(-5, SeekOrigin.End);
            stream.WriteByte(0x5A);
        }
        string? previous = Environment.GetEnvironmentVariable(ExtractorCatalog.ModelsEnvironmentVariable);
        Environment.SetEnvironmentVariable(ExtractorCatalog.ModelsEnvironmentVariable, temp.Path);
        try
        {
            var error = Assert.Throws<ModelLoadException>(() => ResNet18ImageNet.BuildModel());
            Assert.Contains(network, error.Message);
            Assert.Contains(ResNet18ImageNet.NetworkSha256, error.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ExtractorCatalog.ModelsEnvironmentVariable, previous);
        }
    }

    /// <summary>The patches as ML.NET's ExtractPixels gives them to the package's graph: RGB planes, 0-255, unscaled.</summary>
    private static float[] RealPatchesRgb0To255()
    {
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        var pixels = new float[Corners.Length * 3 * Size * Size];
        using var preprocessor = new PatchPreprocessor(ResNet18ImageNet.Manifest.Input);
        for (int p = 0; p < Corners.Length; p++)
        {
            using Mat patch = slide.ReadRegion(Corners[p].X, Corners[p].Y, 0, Size, Size);
            preprocessor.Write(patch, pixels.AsSpan(p * 3 * Size * Size, 3 * Size * Size));
            Vec3b first = patch.At<Vec3b>(0, 0);
            Assert.Equal(first.Item2, pixels[p * 3 * Size * Size]); // plane 0 is red (OpenCV patches are BGR)
        }
        return pixels;
    }
}
