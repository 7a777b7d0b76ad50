using PathoFed.Features.Onnx;
using DataType = PathoFed.Features.Onnx.TensorProto.Types.DataType;

namespace PathoFed.Benchmarks;

/// <summary>
/// Writes a ResNet-50 (torchvision v1.5 topology: stride on the 3x3 conv of each bottleneck) as ONNX with seeded random
/// weights, a stand-in of the right size and shape for timing a pretrained CNN extractor without its weights.
/// BatchNorm is folded into each convolution's weight and bias, as an inference export does, so every unit is
/// Conv (+ Relu). The full model ends at layer4 (2048 features); the truncated one at layer3 (1024 features), CLAM's
/// "ResNet50_trunc". Both end in GlobalAveragePool + Flatten: input "pixels" [N, 3, 224, 224], output
/// "embedding" [N, 2048 or 1024].
/// </summary>
internal static class ResNetOnnx
{
    public const string InputName = "pixels";

    public const string OutputName = "embedding";

    public const int InputSizePx = 224;

    private const string ProducerVersion = "resnet50-random-1";

    /// <summary>Bottleneck blocks per stage (layer1..layer4) and the stage's inner width; the output is 4x the width.</summary>
    private static readonly (int Blocks, int Width)[] Stages = [(3, 64), (4, 128), (6, 256), (3, 512)];

    private const int Expansion = 4;

    /// <summary>
    /// Scale of the folded BatchNorm after the last conv of each residual branch. Without it, He-initialised branches
    /// double the activation variance at every block; a small gamma keeps the trunk's scale near 1, as
    /// zero-init-residual training does.
    /// </summary>
    private const float ResidualBranchScale = 0.2f;

    public sealed record Summary(byte[] Model, int EmbeddingDim, long Parameters, long MultiplyAdds);

    /// <param name="truncated">Stop after layer3 (1024 features, CLAM) instead of layer4 (2048).</param>
    /// <param name="seed">Seed of the weights: the same seed gives the same bytes.</param>
    public static Summary Build(bool truncated, int seed = 50)
    {
        var context = new Context(
            new OnnxGraphBuilder(truncated ? "resnet50_trunc" : "resnet50", ProducerVersion)
            {
                Domain = "org.pathofed.benchmarks",
                DocString = $"ResNet-50{(truncated ? " truncated after layer3" : "")}, BatchNorm folded, seeded random He-init weights (seed {seed}); for benchmarks only",
            },
            new Random(seed));
        OnnxGraphBuilder graph = context.Graph;
        graph.AddInput(InputName, DataType.Float, "N", 3, InputSizePx, InputSizePx);

        int spatial = InputSizePx;
        string x = context.Conv(InputName, "conv1", 3, 64, kernel: 7, stride: 2, ref spatial, relu: true);
        spatial = OutputSize(spatial, kernel: 3, stride: 2, pad: 1);
        graph.AddNode("MaxPool", [x], ["maxpool"],
            OnnxAttribute.Ints("kernel_shape", 3, 3), OnnxAttribute.Ints("strides", 2, 2), OnnxAttribute.Ints("pads", 1, 1, 1, 1));
        x = "maxpool";

        int channels = 64;
        int stageCount = truncated ? 3 : 4;
        for (int s = 0; s < stageCount; s++)
        {
            (int blocks, int width) = Stages[s];
            for (int b = 0; b < blocks; b++)
            {
                int stride = s > 0 && b == 0 ? 2 : 1;
                x = context.Bottleneck(x, $"layer{s + 1}.{b}", channels, width, stride, ref spatial);
                channels = width * Expansion;
            }
        }

        graph.AddNode("GlobalAveragePool", [x], ["pooled"])
            .AddNode("Flatten", ["pooled"], [OutputName], OnnxAttribute.Int("axis", 1))
            .AddOutput(OutputName, DataType.Float, "N", channels);
        return new Summary(graph.ToBytes(), channels, context.Parameters, context.MultiplyAdds);
    }

    private static int OutputSize(int size, int kernel, int stride, int pad) => (size + 2 * pad - kernel) / stride + 1;

    private sealed class Context(OnnxGraphBuilder graph, Random random)
    {
        public OnnxGraphBuilder Graph { get; } = graph;

        public long Parameters { get; private set; }

        public long MultiplyAdds { get; private set; }

        public string Bottleneck(string input, string name, int inChannels, int width, int stride, ref int spatial)
        {
            int outChannels = width * Expansion;
            int inSpatial = spatial;
            string shortcut = input;
            if (stride != 1 || inChannels != outChannels)
            {
                int downSpatial = inSpatial;
                shortcut = Conv(input, $"{name}.downsample", inChannels, outChannels, kernel: 1, stride, ref downSpatial, relu: false);
            }
            string h = Conv(input, $"{name}.conv1", inChannels, width, kernel: 1, stride: 1, ref spatial, relu: true);
            h = Conv(h, $"{name}.conv2", width, width, kernel: 3, stride, ref spatial, relu: true);
            h = Conv(h, $"{name}.conv3", width, outChannels, kernel: 1, stride: 1, ref spatial, relu: false, scale: ResidualBranchScale);
            Graph.AddNode("Add", [h, shortcut], [$"{name}.add"])
                .AddNode("Relu", [$"{name}.add"], [$"{name}.out"]);
            return $"{name}.out";
        }

        /// <summary>Conv with BatchNorm folded in (a bias), padding kernel/2 on every side, optionally followed by Relu.</summary>
        public string Conv(string input, string name, int inChannels, int outChannels, int kernel, int stride, ref int spatial,
            bool relu, float scale = 1f)
        {
            int fanIn = inChannels * kernel * kernel;
            var weights = new float[outChannels * fanIn];
            double std = scale * Math.Sqrt(2.0 / fanIn); // He (Kaiming) normal for a ReLU network, fan-in mode
            for (int i = 0; i < weights.Length; i++) weights[i] = (float)(std * NextGaussian());
            var bias = new float[outChannels];
            for (int i = 0; i < bias.Length; i++) bias[i] = (float)(0.01 * NextGaussian());

            int pad = kernel / 2;
            spatial = OutputSize(spatial, kernel, stride, pad);
            Parameters += weights.Length + bias.Length;
            MultiplyAdds += (long)weights.Length * spatial * spatial;

            string output = relu ? $"{name}.pre" : name;
            Graph.AddFloatInitializer($"{name}.weight", weights, outChannels, inChannels, kernel, kernel)
                .AddFloatInitializer($"{name}.bias", bias, outChannels)
                .AddNode("Conv", [input, $"{name}.weight", $"{name}.bias"], [output],
                    OnnxAttribute.Ints("kernel_shape", kernel, kernel),
                    OnnxAttribute.Ints("strides", stride, stride),
                    OnnxAttribute.Ints("pads", pad, pad, pad, pad),
                    OnnxAttribute.Ints("dilations", 1, 1),
                    OnnxAttribute.Int("group", 1));
            if (!relu) return output;
            Graph.AddNode("Relu", [output], [name]);
            return name;
        }

        // Box-Muller on System.Random(seed), whose seeded sequence is stable across .NET versions.
        private double NextGaussian()
        {
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
        }
    }
}
