using System.Globalization;
using PathoFed.Features.Onnx;
using DataType = PathoFed.Features.Onnx.TensorProto.Types.DataType;

namespace PathoFed.Features.Extractors;

/// <summary>
/// Writes <see cref="HandETextureExtractor"/>'s ONNX graph. Filtering is separable: per scale, a reflect Pad, a
/// horizontal depthwise Conv (1 x K) producing the Gaussian profiles each filter needs along x, then a vertical
/// Conv (K x 1, grouped per stain) that applies the y profiles and sums the terms (the LoG's two). That costs O(K) per
/// pixel instead of the O(K²) of the 2-D kernels, which matters at σ = 4 (K = 33).
/// </summary>
internal static class HandETextureGraph
{
    /// <summary>The stain channels that go through the filter bank, in channel order.</summary>
    public static readonly string[] FilteredStains = ["H", "E"];

    public const string ResidualName = "residual";

    public static readonly double[] Sigmas = [1, 2, 4];

    /// <summary>The filter bank in feature order. Zero-mean filters (derivatives) also get a mean-absolute feature.</summary>
    public static readonly Filter[] Filters =
    [
        new("gauss_s1", 1, false, [(Profile.Smooth, Profile.Smooth)]),
        new("gauss_s2", 2, false, [(Profile.Smooth, Profile.Smooth)]),
        new("gauss_s4", 4, false, [(Profile.Smooth, Profile.Smooth)]),
        new("log_s1", 1, true, [(Profile.SecondDerivative, Profile.Smooth), (Profile.Smooth, Profile.SecondDerivative)]),
        new("log_s2", 2, true, [(Profile.SecondDerivative, Profile.Smooth), (Profile.Smooth, Profile.SecondDerivative)]),
        new("log_s4", 4, true, [(Profile.SecondDerivative, Profile.Smooth), (Profile.Smooth, Profile.SecondDerivative)]),
        new("dx_s1", 1, true, [(Profile.FirstDerivative, Profile.Smooth)]),
        new("dx_s2", 2, true, [(Profile.FirstDerivative, Profile.Smooth)]),
        new("dy_s1", 1, true, [(Profile.Smooth, Profile.FirstDerivative)]),
        new("dy_s2", 2, true, [(Profile.Smooth, Profile.FirstDerivative)]),
    ];

    /// <summary>Feature names in output order, and where each sits in the graph's vector of all statistics.</summary>
    public static readonly (string[] Names, long[] StatIndices) Layout = DescribeLayout();

    private const int ProducerModelVersion = 1;

    public static OnnxGraphBuilder Create(string id, string docString)
    {
        const int size = HandETextureExtractor.InputSizePx;
        var graph = new OnnxGraphBuilder(id, producerVersion: "he-texture-generator-1")
        {
            Domain = "org.pathofed",
            ModelVersion = ProducerModelVersion,
            DocString = docString,
        };
        graph.AddInput(HandETextureExtractor.InputName, DataType.Float, "N", 3, size, size);

        // Optical density. Clipping the input to [0, 255] first keeps the log finite and makes OD = -ln((I+1)/256)
        // fall in [0, ln 256], which is the "OD >= 0" clamp. 1/256 is exact in float.
        graph.AddFloatInitializer("pixel_min", [0f])
            .AddFloatInitializer("pixel_max", [255f])
            .AddFloatInitializer("one", [1f])
            .AddFloatInitializer("inv_256", [1f / 256f])
            .AddNode("Clip", [HandETextureExtractor.InputName, "pixel_min", "pixel_max"], ["clipped"])
            .AddNode("Add", ["clipped", "one"], ["plus_one"])
            .AddNode("Mul", ["plus_one", "inv_256"], ["transmittance"])
            .AddNode("Log", ["transmittance"], ["log_transmittance"])
            .AddNode("Neg", ["log_transmittance"], ["od"]);

        // Colour deconvolution as 1x1 convolutions: concentration k = sum_c OD_c * HedFromRgb[c, k]. Negative
        // concentrations are not physical and are clamped to 0, as scikit-image's separate_stains does.
        double[,] hedFromRgb = StainMatrix.HedFromRgb();
        graph.AddFloatInitializer("deconv_he", DeconvolutionWeights(hedFromRgb, 0, 1), 2, 3, 1, 1)
            .AddFloatInitializer("deconv_residual", DeconvolutionWeights(hedFromRgb, 2), 1, 3, 1, 1)
            .AddNode("Conv", ["od", "deconv_he"], ["he_signed"], OnnxAttribute.Ints("kernel_shape", 1, 1))
            .AddNode("Relu", ["he_signed"], ["he"])
            .AddNode("Conv", ["od", "deconv_residual"], ["residual_signed"], OnnxAttribute.Ints("kernel_shape", 1, 1))
            .AddNode("Relu", ["residual_signed"], ["residual"]);

        List<string> mapTensors = [];
        foreach (double sigma in Sigmas) mapTensors.Add(AddFilterBank(graph, sigma));

        // Statistics per channel. The standard deviation is centred first (two passes): float32's one-pass
        // sqrt(E[x²] - E[x]²) loses most digits when a map's spread is small against its mean (smoothed eosin).
        string[] statTensors = ["he", "residual", .. mapTensors];
        List<string> means = [], deviations = [], absoluteMeans = [];
        foreach (string tensor in statTensors)
        {
            graph.AddNode("GlobalAveragePool", [tensor], [$"{tensor}_mean"])
                .AddNode("Sub", [tensor, $"{tensor}_mean"], [$"{tensor}_centred"])
                .AddNode("Mul", [$"{tensor}_centred", $"{tensor}_centred"], [$"{tensor}_centred_sq"])
                .AddNode("GlobalAveragePool", [$"{tensor}_centred_sq"], [$"{tensor}_var"])
                .AddNode("Sqrt", [$"{tensor}_var"], [$"{tensor}_std"]);
            means.Add($"{tensor}_mean");
            deviations.Add($"{tensor}_std");
        }
        foreach (string tensor in mapTensors)
        {
            graph.AddNode("Abs", [tensor], [$"{tensor}_abs"])
                .AddNode("GlobalAveragePool", [$"{tensor}_abs"], [$"{tensor}_absmean"]);
            absoluteMeans.Add($"{tensor}_absmean");
        }

        long[] indices = Layout.StatIndices;
        graph.AddInt64Initializer("feature_indices", indices, indices.Length)
            .AddNode("Concat", [.. means, .. deviations, .. absoluteMeans], ["all_stats"], OnnxAttribute.Int("axis", 1))
            .AddNode("Flatten", ["all_stats"], ["all_stats_flat"], OnnxAttribute.Int("axis", 1))
            .AddNode("Gather", ["all_stats_flat", "feature_indices"], [HandETextureExtractor.OutputName], OnnxAttribute.Int("axis", 1))
            .AddOutput(HandETextureExtractor.OutputName, DataType.Float, "N", Layout.Names.Length);
        return graph;
    }

    /// <summary>Adds the separable filters of one scale; returns the tensor [N, stains x filters, H, W], stain-major.</summary>
    private static string AddFilterBank(OnnxGraphBuilder graph, double sigma)
    {
        string scale = "s" + sigma.ToString(CultureInfo.InvariantCulture);
        Filter[] filters = FiltersAt(sigma);
        Profile[] xProfiles = XProfilesAt(sigma);
        int radius = GaussianKernels.Radius(sigma), taps = 2 * radius + 1, groups = FilteredStains.Length;

        // Horizontal pass: per stain, one output channel per x profile (depthwise, channel multiplier = profiles).
        var horizontal = new float[groups * xProfiles.Length * taps];
        for (int g = 0; g < groups; g++)
        {
            for (int j = 0; j < xProfiles.Length; j++)
            {
                double[] profile = GaussianKernels.Create(xProfiles[j], sigma);
                for (int t = 0; t < taps; t++) horizontal[(g * xProfiles.Length + j) * taps + t] = (float)profile[t];
            }
        }

        // Vertical pass: per stain, output f sums over input channel j (x profile j) the y profiles of f's terms whose
        // x profile is j; zero where f has no such term.
        var vertical = new float[groups * filters.Length * xProfiles.Length * taps];
        for (int g = 0; g < groups; g++)
        {
            for (int f = 0; f < filters.Length; f++)
            {
                foreach ((Profile x, Profile y) in filters[f].Terms)
                {
                    int j = Array.IndexOf(xProfiles, x);
                    double[] profile = GaussianKernels.Create(y, sigma);
                    int offset = ((g * filters.Length + f) * xProfiles.Length + j) * taps;
                    for (int t = 0; t < taps; t++) vertical[offset + t] += (float)profile[t];
                }
            }
        }

        // Reflect padding (ONNX "reflect" = OpenCV BORDER_REFLECT_101: the edge pixel is not repeated) rather than
        // zeros: zero padding would put a false edge round every patch of tissue, where OD is far from zero.
        graph.AddInt64Initializer($"pads_{scale}", [0, 0, radius, radius, 0, 0, radius, radius], 8)
            .AddFloatInitializer($"filters_x_{scale}", horizontal, groups * xProfiles.Length, 1, 1, taps)
            .AddFloatInitializer($"filters_y_{scale}", vertical, groups * filters.Length, xProfiles.Length, taps, 1)
            .AddNode("Pad", ["he", $"pads_{scale}"], [$"he_padded_{scale}"], OnnxAttribute.String("mode", "reflect"))
            .AddNode("Conv", [$"he_padded_{scale}", $"filters_x_{scale}"], [$"rows_{scale}"],
                OnnxAttribute.Int("group", groups), OnnxAttribute.Ints("kernel_shape", 1, taps))
            .AddNode("Conv", [$"rows_{scale}", $"filters_y_{scale}"], [$"maps_{scale}"],
                OnnxAttribute.Int("group", groups), OnnxAttribute.Ints("kernel_shape", taps, 1));
        return $"maps_{scale}";
    }

    /// <summary>Conv weights [outputs, 3 (R, G, B), 1, 1] for the given concentration columns of HedFromRgb.</summary>
    private static float[] DeconvolutionWeights(double[,] hedFromRgb, params int[] stains)
    {
        var weights = new float[stains.Length * 3];
        for (int k = 0; k < stains.Length; k++)
        {
            for (int c = 0; c < 3; c++) weights[k * 3 + c] = (float)hedFromRgb[c, stains[k]];
        }
        return weights;
    }

    private static Filter[] FiltersAt(double sigma) => Array.FindAll(Filters, f => f.Sigma == sigma);

    private static Profile[] XProfilesAt(double sigma)
    {
        var profiles = new SortedSet<Profile>();
        foreach (Filter filter in FiltersAt(sigma))
        {
            foreach ((Profile x, _) in filter.Terms) profiles.Add(x);
        }
        return [.. profiles];
    }

    /// <summary>
    /// The statistics vector is [means of all channels, deviations of all channels, mean |x| of the filter-bank
    /// channels], with channels in graph order: H, E, residual, then per scale the stain-major filter maps.
    /// </summary>
    private static (string[] Names, long[] StatIndices) DescribeLayout()
    {
        List<string> channels = [.. FilteredStains.Select(s => $"{s}.raw"), $"{ResidualName}.raw"];
        int firstMapChannel = channels.Count;
        foreach (double sigma in Sigmas)
        {
            foreach (string stain in FilteredStains)
            {
                foreach (Filter filter in FiltersAt(sigma)) channels.Add($"{stain}.{filter.Name}");
            }
        }
        int channelCount = channels.Count;
        int Channel(string name) => channels.IndexOf(name);

        List<string> names = [];
        List<long> indices = [];
        void Add(string channel, string statistic, int index)
        {
            names.Add($"{channel}.{statistic}");
            indices.Add(index);
        }

        foreach (string stain in FilteredStains)
        {
            Add($"{stain}.raw", "mean", Channel($"{stain}.raw"));
            Add($"{stain}.raw", "std", channelCount + Channel($"{stain}.raw"));
            foreach (Filter filter in Filters)
            {
                int c = Channel($"{stain}.{filter.Name}");
                Add($"{stain}.{filter.Name}", "mean", c);
                Add($"{stain}.{filter.Name}", "std", channelCount + c);
                if (filter.IsZeroMean) Add($"{stain}.{filter.Name}", "absmean", 2 * channelCount + c - firstMapChannel);
            }
        }
        Add($"{ResidualName}.raw", "mean", Channel($"{ResidualName}.raw"));
        Add($"{ResidualName}.raw", "std", channelCount + Channel($"{ResidualName}.raw"));
        return (names.ToArray(), indices.ToArray());
    }

    /// <summary>One response map: the sum over <paramref name="Terms"/> of (x profile) ⊗ (y profile) at scale <paramref name="Sigma"/>.</summary>
    internal sealed record Filter(string Name, double Sigma, bool IsZeroMean, (Profile X, Profile Y)[] Terms);
}
