using Microsoft.Extensions.Logging;
using OpenCvSharp;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using PathoFed.Features.Extractors;

namespace PathoFed.Features.Tests.Extractors;

public sealed class OnnxFeatureExtractorTests
{
    [Fact]
    public void Open_EmbeddedDefault_HashesLikeTheManifestAndMatchesADirectSession()
    {
        using OnnxFeatureExtractor extractor = OnnxFeatureExtractor.Open(ExtractorCatalog.Find(ExtractorCatalog.DefaultId));
        using var direct = new ExtractorSession();
        using Mat patch = RealPatch();
        var pixels = new float[3 * 224 * 224];
        var embedding = new float[HandETextureExtractor.EmbeddingDim];

        using (var preprocessor = new PatchPreprocessor(extractor.Manifest.Input)) preprocessor.Write(patch, pixels);
        extractor.Run(pixels, 1, embedding);

        Assert.Equal(HandETextureExtractor.Sha256, extractor.Sha256);
        Assert.Null(extractor.FixedBatchSize);
        Assert.Equal(direct.Embed(patch)[0], embedding);
    }

    [Fact]
    public void Run_MeanColourModel_EqualsNormalisedMeansComputedWithOpenCv()
    {
        using var temp = new TempFolder();
        using OnnxFeatureExtractor extractor = TinyModels.Open(TinyModels.Write(temp.Path, "mean-colour", TinyModels.MeanColour()));
        using Mat large = RealPatch(); // 224 px: the preprocessor shrinks it to the model's 32 px with area interpolation
        using var expectedPatch = new Mat();
        Cv2.Resize(large, expectedPatch, new Size(TinyModels.SizePx, TinyModels.SizePx), interpolation: InterpolationFlags.Area);
        Scalar bgrMean = Cv2.Mean(expectedPatch);
        double[] rgb = [bgrMean.Val2, bgrMean.Val1, bgrMean.Val0];

        var pixels = new float[3 * 32 * 32];
        var embedding = new float[3];
        using (var preprocessor = new PatchPreprocessor(extractor.Manifest.Input)) preprocessor.Write(large, pixels);
        extractor.Run(pixels, 1, embedding);

        for (int c = 0; c < 3; c++) Assert.Equal((rgb[c] / 255 - TinyModels.Mean[c]) / TinyModels.Std[c], embedding[c], 4);
    }

    [Fact]
    public void Run_HalfPrecisionModel_MatchesTheFloatModelWithinHalfPrecision()
    {
        using var temp = new TempFolder();
        using OnnxFeatureExtractor single = TinyModels.Open(TinyModels.Write(temp.Path, "fp32", TinyModels.MeanColour()));
        using OnnxFeatureExtractor half = TinyModels.Open(TinyModels.Write(temp.Path, "fp16", TinyModels.MeanColourHalf(), dtype: "float16"));
        using Mat patch = RealPatch();
        var pixels = new float[2 * 3 * 32 * 32];
        using (var preprocessor = new PatchPreprocessor(single.Manifest.Input))
        {
            preprocessor.Write(patch, pixels.AsSpan(0, 3 * 32 * 32));
            Cv2.BitwiseNot(patch, patch);
            preprocessor.Write(patch, pixels.AsSpan(3 * 32 * 32));
        }
        float[] expected = new float[6], actual = new float[6];

        single.Run(pixels, 2, expected);
        half.Run(pixels, 2, actual);

        for (int i = 0; i < 6; i++) Assert.Equal(expected[i], actual[i], 0.01 * Math.Max(1, Math.Abs(expected[i])));
        Assert.NotEqual(expected[0], expected[3]); // the two patches differ, so a mix-up of rows would show
    }

    [Fact]
    public void Open_HalfModelDeclaredAsFloat_ExplainsTheMismatch()
    {
        using var temp = new TempFolder();
        string manifest = TinyModels.Write(temp.Path, "fp16-as-32", TinyModels.MeanColourHalf());

        Assert.Contains("input 'pixels' is float16", Assert.Throws<ModelLoadException>(() => TinyModels.Open(manifest)).Message);
    }

    [Fact]
    public void Run_FixedBatchModel_TailBatchPaddedAndRowsUnchanged()
    {
        using var temp = new TempFolder();
        using OnnxFeatureExtractor extractor = TinyModels.Open(TinyModels.Write(temp.Path, "fixed4", TinyModels.MeanColour(batch: 4)));
        var pixels = new float[4 * 3 * 32 * 32];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = i / (3 * 32 * 32); // patch n is all n
        var embeddings = new float[4 * 3];

        extractor.Run(pixels, 2, embeddings);

        Assert.Equal(4, extractor.FixedBatchSize);
        Assert.Equal([0f, 0f, 0f, 1f, 1f, 1f], embeddings[..6]);
        Assert.Throws<ArgumentOutOfRangeException>(() => extractor.Run(pixels, 5, embeddings));
    }

    [Fact]
    public void Open_MissingOnnxFile_SaysWhereItLookedAndHowToExport()
    {
        using var temp = new TempFolder();
        string manifest = TinyModels.Write(temp.Path, "gone", TinyModels.MeanColour());
        File.Delete(temp.File("gone.onnx"));

        var e = Assert.Throws<ModelLoadException>(() => TinyModels.Open(manifest));
        Assert.Contains("gone.onnx", e.Message);
        Assert.Contains("export-extractor.py", e.Message);
    }

    [Fact]
    public void Open_NotOnnx_NamesTheFile()
    {
        using var temp = new TempFolder();
        string manifest = TinyModels.Write(temp.Path, "garbage", "this is not a protobuf model"u8.ToArray());

        var e = Assert.Throws<ModelLoadException>(() => TinyModels.Open(manifest));
        Assert.Contains("garbage.onnx", e.Message);
        Assert.Contains("cannot be loaded", e.Message);
    }

    [Fact]
    public void Open_InputSizeDiffersFromManifest_ExplainsTheMismatch()
    {
        using var temp = new TempFolder();
        string manifest = TinyModels.Write(temp.Path, "wrong-size", TinyModels.MeanColour(sizePx: 64), sizePx: 32);

        var e = Assert.Throws<ModelLoadException>(() => TinyModels.Open(manifest));
        Assert.Contains("input 'pixels' is float [?, 3, 64, 64]", e.Message);
        Assert.Contains("[N, 3, 32, 32]", e.Message);
        Assert.Contains("wrong-size.json", e.Message);
    }

    [Fact]
    public void Open_WrongInputNameOrOutputDim_ListsWhatTheModelHas()
    {
        using var temp = new TempFolder();
        string badName = TinyModels.Write(temp.Path, "bad-name", TinyModels.MeanColour(inputName: "image"));
        string badDim = TinyModels.Write(temp.Path, "bad-dim", TinyModels.MeanColour(), dim: 768);

        Assert.Contains("has no input 'pixels' (its inputs: image)", Assert.Throws<ModelLoadException>(() => TinyModels.Open(badName)).Message);
        Assert.Contains("output 'embedding' is float [?, 3, 1, 1], but the manifest says float32 [N, 768]",
            Assert.Throws<ModelLoadException>(() => TinyModels.Open(badDim)).Message);
    }

    [Fact]
    public void Open_HashDiffersFromManifest_RefusesWithBothHashes()
    {
        using var temp = new TempFolder();
        string manifest = TinyModels.Write(temp.Path, "pinned", TinyModels.MeanColour(), sha256: new string('0', 64));

        var e = Assert.Throws<ModelLoadException>(() => TinyModels.Open(manifest));
        Assert.Contains(new string('0', 64), e.Message);
        Assert.Contains("pinned.onnx", e.Message);
    }

    [Fact]
    public void Open_CudaOnTheCpuPackage_ExplicitFailsAutoFallsBackWithOneLogLine()
    {
        ExtractorManifest manifest = ExtractorCatalog.Find(ExtractorCatalog.DefaultId);
        var log = new ListLogger();

        var e = Assert.Throws<ModelLoadException>(() => OnnxFeatureExtractor.Open(manifest, new ExtractorRuntimeOptions { Device = ExecutionDevice.Parse("cuda:0") }));
        using OnnxFeatureExtractor auto = OnnxFeatureExtractor.Open(manifest, new ExtractorRuntimeOptions { IntraOpThreads = 1 }, log);

        Assert.Contains("cuda:0 was asked for but is not available", e.Message);
        Assert.Equal("cpu, 1 thread", auto.Device);
        string fallback = Assert.Single(log.Lines, l => l.Level == LogLevel.Warning).Text;
        Assert.Contains("CUDA not used, running on CPU", fallback);
    }

    [Theory]
    [InlineData("auto", ExecutionDeviceKind.Auto, 0)]
    [InlineData("CPU", ExecutionDeviceKind.Cpu, 0)]
    [InlineData("cuda", ExecutionDeviceKind.Cuda, 0)]
    [InlineData("cuda:3", ExecutionDeviceKind.Cuda, 3)]
    public void ExecutionDevice_Parse_AcceptsTheDocumentedForms(string text, ExecutionDeviceKind kind, int id)
    {
        Assert.Equal(new ExecutionDevice(kind, id), ExecutionDevice.Parse(text));
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    public void ExecutionDevice_Parse_RejectsOthers(string text) =>
        Assert.Contains(text, Assert.Throws<ArgumentException>(() => ExecutionDevice.Parse(text)).Message);

    /// <summary>A 224 px H&amp;E patch from the real test slide.</summary>
    internal static Mat RealPatch()
    {
        using PathoFed.Slides.ISlide slide = PathoFed.Slides.SlideReader.Open(TestSlides.SmallHE);
        return PathoFed.Slides.SlideExtensions.ReadRegion(slide, 700, 500, 0, 224, 224);
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Text)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception)));
    }
}
