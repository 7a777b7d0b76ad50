using System.Security.Cryptography;
using Google.Protobuf;
using PathoFed.Features.Onnx;

namespace PathoFed.Features.Extractors;

/// <summary>
/// The ImageNet-pretrained ResNet-18 of ML.NET's <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> 0.24.0 package, made
/// into a PathoFed extractor: 512 pooled features per patch. The package ships two graphs (a CNTK 2.6 export, batch
/// fixed at 1): <c>ResNetPreprocess.onnx</c> reorders RGB planes to BGR and subtracts a 3 x 224 x 224 mean image
/// (Caffe-style, 0-255 values), then <c>ResNet18.onnx</c> runs the network. PathoFed joins them into one graph with a
/// dynamic batch axis: the mean image (put back in RGB order) is subtracted in the graph, the channel swap is folded
/// into the first convolution's weights, each BatchNormalization is folded into its convolution, and the [N, 512, 1, 1]
/// pool is flattened to [N, 512]. Input <see cref="InputName"/>: float32 [N, 3, 224, 224] RGB 0-255, exactly what
/// ML.NET's ExtractPixels feeds it (planar, unscaled, no offset).
/// </summary>
/// <remarks>
/// The package files are found beside the application (the package copies them there at build time), in
/// <c>$PATHOFED_MODELS</c>, or in the NuGet cache; nothing is downloaded at run time. Their SHA-256 are pinned here,
/// and the joined graph is deterministic (same bytes on every build), so its hash is pinned too.
/// </remarks>
public static class ResNet18ImageNet
{
    public const string Id = "resnet18-imagenet";

    public const string InputName = "pixels";

    public const string OutputName = "embedding";

    public const int InputSizePx = 224;

    public const int EmbeddingDim = 512;

    public const double TargetMpp = 0.5;

    /// <summary>SHA-256 of the package's <c>ResNet18Onnx/ResNet18.onnx</c> (63,653,533 bytes).</summary>
    public const string NetworkSha256 = "e2552f19db2dfdb01b3669537b6a0f1b44da38d18279535492ed5dfc2ef1ff8f";

    /// <summary>SHA-256 of the package's <c>ResNetPrepOnnx/ResNetPreprocess.onnx</c> (602,584 bytes).</summary>
    public const string PreprocessSha256 = "84bf8def78d0befaa3f6e73745d57d7016c6a192ead76f79686bd438c1047004";

    /// <summary>SHA-256 of the joined graph <see cref="BuildModel"/> writes (the same bytes on every build).</summary>
    public const string JoinedSha256 = "f6d165199e91447b4fc8a85e6ec9723155414e8a5237d60c6a6445f348c90635";

    public const string PackageId = "microsoft.ml.dnnimagefeaturizer.resnet18";

    public const string PackageVersion = "0.24.0";

    /// <summary>The folder name the package's build props copy the models into, beside the application.</summary>
    public const string ModelsFolderName = "DnnImageModels";

    private const string NetworkFile = "ResNet18Onnx/ResNet18.onnx";

    private const string PreprocessFile = "ResNetPrepOnnx/ResNetPreprocess.onnx";

    private const string PackageInput = "Input247";

    private const string PackageOutput = "Pooling395_Output_0";

    private const string Description =
        "ImageNet-pretrained ResNet-18 from ML.NET's DnnImageFeaturizer.ResNet18 0.24.0 (CNTK 2.6 export), joined with its " +
        "preprocessing into one graph with a dynamic batch: RGB 0-255 planes minus the package's mean image, BGR network, " +
        "global average pool to 512 features. Patches of 224 px at 0.5 um/px.";

    /// <summary>The manifest the pipeline reads patches by; models/resnet18-imagenet.json says the same (a test checks).</summary>
    public static ExtractorManifest Manifest { get; } = new ExtractorManifest
    {
        Id = Id,
        Description = Description,
        Onnx = ExtractorManifest.Embedded,
        Licence = "MIT (ML.NET package; ResNet-18 weights trained on ImageNet-1k)",
        Sha256 = JoinedSha256,
        Input = new ExtractorInput { Name = InputName, SizePx = InputSizePx, Range = "0-255" },
        TargetMpp = TargetMpp,
        Output = new ExtractorOutput { Name = OutputName, Dim = EmbeddingDim },
    }.Validate();

    /// <summary>Folders searched for the package's <c>DnnImageModels</c>, most specific first.</summary>
    public static IEnumerable<string> CandidateFolders()
    {
        if (Environment.GetEnvironmentVariable(ExtractorCatalog.ModelsEnvironmentVariable) is { Length: > 0 } models) yield return Path.Combine(models, ModelsFolderName);
        yield return Path.Combine(AppContext.BaseDirectory, ModelsFolderName);
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages
            ? packages
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        yield return Path.Combine(cache, PackageId, PackageVersion, "tools", ModelsFolderName);
    }

    /// <summary>Joins the package's two graphs into PathoFed's model (see the class summary); the same bytes on every call.</summary>
    /// <exception cref="ModelLoadException">The package's files are in none of <see cref="CandidateFolders"/>, or differ from the pinned ones.</exception>
    public static byte[] BuildModel()
    {
        string folder = CandidateFolders().FirstOrDefault(f => File.Exists(Path.Combine(f, NetworkFile)) && File.Exists(Path.Combine(f, PreprocessFile)))
            ?? throw new ModelLoadException(
                $"Extractor '{Id}' needs the ONNX files of NuGet package {PackageId} {PackageVersion} ({NetworkFile}, {PreprocessFile}), " +
                $"found in none of {string.Join(", ", CandidateFolders().Select(f => $"'{f}'"))}. Build PathoFed with dotnet build " +
                $"(the package copies them beside the program), or copy the package's tools/{ModelsFolderName} folder into ${ExtractorCatalog.ModelsEnvironmentVariable}.");
        ModelProto network = Load(Path.Combine(folder, NetworkFile), NetworkSha256);
        ModelProto preprocess = Load(Path.Combine(folder, PreprocessFile), PreprocessSha256);
        return Join(network, preprocess).ToByteArray();
    }

    private static ModelProto Load(string path, string expectedSha256)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException($"Model file '{path}' cannot be read: {e.Message}", e);
        }
        string sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (sha256 != expectedSha256)
        {
            throw new ModelLoadException($"Model file '{path}' has SHA-256 {sha256}, but extractor '{Id}' is made from {PackageId} {PackageVersion}'s file with {expectedSha256}.");
        }
        return OnnxModelEdits.Parse(bytes);
    }

    private static ModelProto Join(ModelProto network, ModelProto preprocess)
    {
        GraphProto graph = network.Graph;
        TensorProto meanImageBgr = preprocess.Graph.Initializer.Single(t => t.Name == "MeanImage");
        float[] mean = OnnxModelEdits.ReadFloats(meanImageBgr);
        int plane = InputSizePx * InputSizePx;
        var meanRgb = new float[3 * plane];
        for (int c = 0; c < 3; c++) mean.AsSpan((2 - c) * plane, plane).CopyTo(meanRgb.AsSpan(c * plane, plane));
        graph.Initializer.Add(OnnxModelEdits.FloatTensor("mean_image_rgb", meanRgb, [1, 3, InputSizePx, InputSizePx]));

        // The network reads BGR planes: reversing the first convolution's input channels lets it read RGB directly.
        NodeProto conv1 = graph.Node.First(n => n.Input.Contains(PackageInput));
        TensorProto weight = graph.Initializer.Single(t => t.Name == conv1.Input[1]);
        float[] w = OnnxModelEdits.ReadFloats(weight);
        int outChannels = (int)weight.Dims[0], perInput = (int)(weight.Dims[2] * weight.Dims[3]);
        var swapped = new float[w.Length];
        for (int o = 0; o < outChannels; o++)
        {
            for (int c = 0; c < 3; c++) w.AsSpan((o * 3 + (2 - c)) * perInput, perInput).CopyTo(swapped.AsSpan((o * 3 + c) * perInput, perInput));
        }
        string swappedName = weight.Name + "_rgb";
        graph.Initializer.Add(OnnxModelEdits.FloatTensor(swappedName, swapped, weight.Dims));
        conv1.Input[0] = "centred";
        conv1.Input[1] = swappedName;

        var subtract = new NodeProto { OpType = "Sub", Name = "subtract_mean_image" };
        subtract.Input.Add(InputName);
        subtract.Input.Add("mean_image_rgb");
        subtract.Output.Add("centred");
        graph.Node.Insert(0, subtract);

        var flatten = new NodeProto { OpType = "Flatten", Name = "flatten" };
        flatten.Input.Add(PackageOutput);
        flatten.Output.Add(OutputName);
        flatten.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(flatten);

        ValueInfoProto input = graph.Input.Single(i => i.Name == PackageInput);
        input.Name = InputName;
        ValueInfoProto output = graph.Output.Single(o => o.Name == PackageOutput);
        output.Name = OutputName;
        output.Type.TensorType.Shape.Dim.RemoveAt(3);
        output.Type.TensorType.Shape.Dim.RemoveAt(2);

        OnnxModelEdits.FoldBatchNormalization(network);
        OnnxModelEdits.MakeBatchDynamic(network);
        network.ProducerName = "PathoFed";
        network.ProducerVersion = Id;
        network.DocString = Description;
        network.MetadataProps.Clear();
        network.MetadataProps.Add(new StringStringEntryProto { Key = "pathofed.model_id", Value = Id });
        network.MetadataProps.Add(new StringStringEntryProto { Key = "pathofed.source", Value = $"{PackageId} {PackageVersion}: {NetworkFile} sha256 {NetworkSha256}, {PreprocessFile} sha256 {PreprocessSha256}" });
        return network;
    }
}
