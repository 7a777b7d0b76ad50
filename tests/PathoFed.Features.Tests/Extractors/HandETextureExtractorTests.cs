using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;
using PathoFed.Features.Extractors;
using PathoFed.Slides;

namespace PathoFed.Features.Tests.Extractors;

public sealed class HandETextureExtractorTests(ExtractorSession extractor) : IClassFixture<ExtractorSession>
{
    private const int Size = HandETextureExtractor.InputSizePx;

    /// <summary>Level-0 corners of 224 px patches of small_HE.svs (0.499 µm/px), picked by eye.</summary>
    public static TheoryData<string, long, long> Patches => new()
    {
        { "nucleus-rich epithelium", 1120, 896 },
        { "eosin-rich stroma", 896, 1120 },
        { "tissue edge with background", 896, 672 },
        { "empty glass", 448, 672 },
    };

    [Fact]
    public void BuildModel_TwoCalls_IdenticalBytesWithTheRecordedSha256()
    {
        byte[] first = HandETextureExtractor.BuildModel();
        byte[] second = HandETextureExtractor.BuildModel();

        Assert.Equal(first, second);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(first)), HandETextureExtractor.Sha256);
        Assert.Equal(64, HandETextureExtractor.Sha256.Length);
    }

    [Fact]
    public void FeatureNames_EmbeddingDimDistinctNamesInDocumentedOrder()
    {
        IReadOnlyList<string> names = HandETextureExtractor.FeatureNames;

        Assert.Equal(HandETextureExtractor.EmbeddingDim, names.Count);
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal(["H.raw.mean", "H.raw.std", "H.gauss_s1.mean", "H.gauss_s1.std"], names.Take(4));
        Assert.Equal(["H.log_s1.mean", "H.log_s1.std", "H.log_s1.absmean"], names.Skip(8).Take(3));
        Assert.Equal("H.dy_s2.absmean", names[28]);
        Assert.Equal("E.raw.mean", names[29]);
        Assert.Equal(["residual.raw.mean", "residual.raw.std"], names.TakeLast(2));
    }

    [Fact]
    public void Session_InputAndOutput_AsDocumented()
    {
        InferenceSession session = extractor.Session;

        NodeMetadata input = Assert.Single(session.InputMetadata, i => i.Key == HandETextureExtractor.InputName).Value;
        Assert.Equal(typeof(float), input.ElementType);
        Assert.Equal([-1, 3, Size, Size], input.Dimensions);
        Assert.Equal("N", input.SymbolicDimensions[0]);
        NodeMetadata output = Assert.Single(session.OutputMetadata, o => o.Key == HandETextureExtractor.OutputName).Value;
        Assert.Equal([-1, HandETextureExtractor.EmbeddingDim], output.Dimensions);
        Assert.Equal("N", output.SymbolicDimensions[0]);

        ModelMetadata metadata = session.ModelMetadata;
        Assert.Equal("PathoFed", metadata.ProducerName);
        Assert.Equal(HandETextureExtractor.Id, metadata.CustomMetadataMap["pathofed.model_id"]);
        Assert.Equal(string.Join(',', HandETextureExtractor.FeatureNames), metadata.CustomMetadataMap["pathofed.feature_names"]);
    }

    [Theory]
    [MemberData(nameof(Patches))]
    public void Embed_RealPatch_MatchesIndependentOpenCvComputation(string what, long level0X, long level0Y)
    {
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        using Mat patch = slide.ReadRegion(level0X, level0Y, 0, Size, Size);

        float[] embedding = extractor.Embed(patch)[0];
        Dictionary<string, double> reference = OpenCvTextureReference.Compute(patch);

        Assert.Equal(HandETextureExtractor.FeatureNames.Order(), reference.Keys.Order());
        for (int i = 0; i < embedding.Length; i++)
        {
            string name = HandETextureExtractor.FeatureNames[i];
            double expected = reference[name];
            // Relative 1e-3, with an absolute floor for the near-zero means of the zero-mean filters.
            double tolerance = 1e-3 * Math.Abs(expected) + 1e-5;
            Assert.True(Math.Abs(embedding[i] - expected) <= tolerance,
                $"{what}: {name} is {embedding[i]:G9} from ONNX Runtime, {expected:G9} from OpenCV (tolerance {tolerance:G3})");
        }
    }

    [Fact]
    public void Embed_BatchOfFour_RowsEqualSinglePatchEmbeddings()
    {
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        Mat[] patches = Patches.Select(row => slide.ReadRegion((long)row[1], (long)row[2], 0, Size, Size)).ToArray();
        try
        {
            float[][] batch = extractor.Embed(patches);
            for (int n = 0; n < patches.Length; n++) Assert.Equal(extractor.Embed(patches[n])[0], batch[n]);
        }
        finally
        {
            foreach (Mat patch in patches) patch.Dispose();
        }
    }

    [Fact]
    public void Embed_NucleusRichPatchVersusGlass_FarMoreHaematoxylinAndTexture()
    {
        using ISlide slide = SlideReader.Open(TestSlides.SmallHE);
        using Mat nuclei = slide.ReadRegion(1120, 896, 0, Size, Size);
        using Mat stroma = slide.ReadRegion(896, 1120, 0, Size, Size);
        using Mat glass = slide.ReadRegion(448, 672, 0, Size, Size);

        float[][] rows = extractor.Embed(nuclei, stroma, glass);
        double Feature(int row, string name) => rows[row][IndexOf(name)];

        Assert.True(Feature(0, "H.raw.mean") > 10 * Feature(2, "H.raw.mean"),
            $"H mean: nuclei {Feature(0, "H.raw.mean")}, glass {Feature(2, "H.raw.mean")}");
        Assert.True(Feature(0, "H.log_s2.absmean") > 10 * Feature(2, "H.log_s2.absmean"),
            $"H blob response: nuclei {Feature(0, "H.log_s2.absmean")}, glass {Feature(2, "H.log_s2.absmean")}");
        Assert.True(Feature(1, "E.raw.mean") / Feature(1, "H.raw.mean") > 1.5 * Feature(0, "E.raw.mean") / Feature(0, "H.raw.mean"),
            $"E/H: stroma {Feature(1, "E.raw.mean") / Feature(1, "H.raw.mean")}, nuclei {Feature(0, "E.raw.mean") / Feature(0, "H.raw.mean")}");
        double distance = 0;
        for (int i = 0; i < rows[0].Length; i++) distance += (rows[0][i] - rows[2][i]) * (rows[0][i] - rows[2][i]);
        Assert.True(Math.Sqrt(distance) > 1, $"tissue-glass embedding distance {Math.Sqrt(distance)}");
    }

    [Fact]
    public void Embed_PureWhite_AllFeaturesZero()
    {
        // I = 255 gives OD = -ln(256/256) = 0 exactly, so every concentration and response is 0.
        float[] white = new float[3 * Size * Size];
        Array.Fill(white, 255f);

        float[] embedding = extractor.Embed(white, 1)[0];

        for (int i = 0; i < embedding.Length; i++)
        {
            Assert.True(Math.Abs(embedding[i]) < 1e-6, $"{HandETextureExtractor.FeatureNames[i]} = {embedding[i]} on white");
        }
    }

    [Fact]
    public void Embed_OutOfRangePixels_ClippedToValidRange()
    {
        float[] outOfRange = new float[3 * Size * Size];
        float[] clipped = new float[3 * Size * Size];
        for (int i = 0; i < outOfRange.Length; i++)
        {
            outOfRange[i] = (i % 7) switch { 0 => -40f, 1 => 300f, _ => i % 251 };
            clipped[i] = Math.Clamp(outOfRange[i], 0f, 255f);
        }

        float[] fromOutOfRange = extractor.Embed(outOfRange, 1)[0];

        Assert.All(fromOutOfRange, value => Assert.True(float.IsFinite(value)));
        Assert.Equal(extractor.Embed(clipped, 1)[0], fromOutOfRange);
    }

    private static int IndexOf(string feature)
    {
        for (int i = 0; i < HandETextureExtractor.FeatureNames.Count; i++)
        {
            if (HandETextureExtractor.FeatureNames[i] == feature) return i;
        }
        throw new ArgumentException($"No feature named {feature}", nameof(feature));
    }
}
