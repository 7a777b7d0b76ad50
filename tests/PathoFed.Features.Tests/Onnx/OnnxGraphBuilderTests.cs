using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using PathoFed.Features.Onnx;
using DataType = PathoFed.Features.Onnx.TensorProto.Types.DataType;

namespace PathoFed.Features.Tests.Onnx;

public sealed class OnnxGraphBuilderTests
{
    private static readonly float[] GemmWeights = [0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f]; // [3, 2], used transposed
    private static readonly float[] GemmBias = [0.1f, -0.2f, 0.3f];
    private static readonly float[] Scales = [1f, 2f, 3f];

    /// <summary>
    /// A small head using every attribute kind: Gemm (float alpha, int transB), LeakyRelu (float), Softmax (int axis),
    /// ReduceSum (int64 axes initializer, int keepdims), Constant (floats, ints), Pad (string mode).
    /// </summary>
    private static OnnxGraphBuilder SmallHead() =>
        new OnnxGraphBuilder("small_head", "test-1")
        {
            DocString = "unit-test head",
            ModelVersion = 3,
            Domain = "org.pathofed.test",
        }
        .AddInput("x", DataType.Float, "N", 2)
        .AddFloatInitializer("w", GemmWeights, 3, 2)
        .AddFloatInitializer("b", GemmBias, 3)
        .AddInt64Initializer("sum_axes", [1], 1)
        .AddInt64Initializer("pads", [0, 1, 0, 1], 4)
        .AddNode("Gemm", ["x", "w", "b"], ["h"], OnnxAttribute.Float("alpha", 2f), OnnxAttribute.Int("transB", 1))
        .AddNode("LeakyRelu", ["h"], ["a"], OnnxAttribute.Float("alpha", 0.1f))
        .AddNode("Softmax", ["a"], ["p"], OnnxAttribute.Int("axis", 1))
        .AddNode("Constant", [], ["scales"], OnnxAttribute.Floats("value_floats", Scales))
        .AddNode("Mul", ["p", "scales"], ["scaled"])
        .AddNode("Constant", [], ["flat_shape"], OnnxAttribute.Ints("value_ints", -1))
        .AddNode("Reshape", ["scaled", "flat_shape"], ["scaled_flat"])
        .AddNode("ReduceSum", ["a", "sum_axes"], ["total"], OnnxAttribute.Int("keepdims", 0))
        .AddNode("Pad", ["a", "pads"], ["a_edge"], OnnxAttribute.String("mode", "edge"))
        .AddOutput("scaled_flat", DataType.Float, OnnxDim.Symbolic("M"))
        .AddOutput("total", DataType.Float, "N")
        .AddOutput("a_edge", DataType.Float, "N", 5)
        .AddMetadata("pathofed.test", "yes")
        .AddMetadata("second", "2");

    [Fact]
    public void ToBytes_SameCallsTwice_SameBytes()
    {
        byte[] first = SmallHead().ToBytes();
        byte[] second = SmallHead().ToBytes();
        byte[] other = SmallHead().AddMetadata("third", "3").ToBytes();

        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Build_SmallHead_RunsInOnnxRuntimeWithTheHandComputedResult()
    {
        float[] x = [1f, 2f, -0.5f, 0.25f, 3f, -1f];
        const int batch = 3;
        using var session = new InferenceSession(SmallHead().ToBytes());
        using var input = OrtValue.CreateTensorValueFromMemory(x, [batch, 2]);
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs =
            session.Run(runOptions, ["x"], [input], ["scaled_flat", "total", "a_edge"]);
        float[] scaled = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        float[] total = outputs[1].GetTensorDataAsSpan<float>().ToArray();
        float[] padded = outputs[2].GetTensorDataAsSpan<float>().ToArray();

        Assert.Equal(batch * 3, scaled.Length);
        Assert.Equal(batch, total.Length);
        Assert.Equal(batch * 5, padded.Length);
        for (int n = 0; n < batch; n++)
        {
            var a = new double[3];
            for (int j = 0; j < 3; j++)
            {
                double h = 2 * (x[n * 2] * GemmWeights[j * 2] + x[n * 2 + 1] * GemmWeights[j * 2 + 1]) + GemmBias[j];
                a[j] = h >= 0 ? h : 0.1 * h;
            }
            double denominator = Math.Exp(a[0]) + Math.Exp(a[1]) + Math.Exp(a[2]);
            for (int j = 0; j < 3; j++)
            {
                Assert.Equal(Math.Exp(a[j]) / denominator * Scales[j], scaled[n * 3 + j], 5);
                Assert.Equal(a[j], padded[n * 5 + 1 + j], 5);
            }
            Assert.Equal(a[0] + a[1] + a[2], total[n], 5);
            Assert.Equal(a[0], padded[n * 5], 5); // "edge" repeats the border value: the string attribute arrived
            Assert.Equal(a[2], padded[n * 5 + 4], 5);
        }
    }

    [Fact]
    public void Build_SmallHead_OnnxRuntimeSeesSymbolicDimsProducerAndMetadata()
    {
        using var session = new InferenceSession(SmallHead().ToBytes());

        NodeMetadata x = session.InputMetadata["x"];
        Assert.Equal([-1, 2], x.Dimensions);
        Assert.Equal("N", x.SymbolicDimensions[0]);
        Assert.Equal("M", session.OutputMetadata["scaled_flat"].SymbolicDimensions[0]);
        ModelMetadata metadata = session.ModelMetadata;
        Assert.Equal("PathoFed", metadata.ProducerName);
        Assert.Equal("org.pathofed.test", metadata.Domain);
        Assert.Equal("unit-test head", metadata.Description);
        Assert.Equal(3, metadata.Version);
        Assert.Equal("small_head", metadata.GraphName);
        Assert.Equal("yes", metadata.CustomMetadataMap["pathofed.test"]);
        Assert.Equal("2", metadata.CustomMetadataMap["second"]);
    }

    [Fact]
    public void Build_SmallHead_RecordsIrVersionOpsetAndTypedAttributes()
    {
        ModelProto model = ModelProto.Parser.ParseFrom(SmallHead().ToBytes());

        Assert.Equal(8, model.IrVersion);
        Assert.Equal(("", 17L), (model.OpsetImport.Single().Domain, model.OpsetImport.Single().Version));
        Assert.Equal("test-1", model.ProducerVersion);
        NodeProto gemm = model.Graph.Node[0];
        Assert.Equal("Gemm_0", gemm.Name);
        Assert.Equal(AttributeProto.Types.AttributeType.Float, gemm.Attribute[0].Type);
        Assert.Equal(2f, gemm.Attribute[0].F);
        Assert.Equal(AttributeProto.Types.AttributeType.Int, gemm.Attribute[1].Type);
        AttributeProto pad = model.Graph.Node.Single(n => n.OpType == "Pad").Attribute.Single();
        Assert.Equal(AttributeProto.Types.AttributeType.String, pad.Type);
        Assert.Equal("edge", pad.S.ToStringUtf8());
        TensorProto weights = model.Graph.Initializer[0];
        Assert.Equal([3L, 2L], weights.Dims);
        Assert.Equal((int)DataType.Float, weights.DataType);
        Assert.Equal(GemmWeights.Length * 4, weights.RawData.Length);
        Assert.Equal(-1f, BitConverter.ToSingle(weights.RawData.Span[4..8]));
    }

    /// <summary>Pins the wire tags to onnx.proto's field numbers, independently of any ONNX reader.</summary>
    [Fact]
    public void Serialize_KnownMessages_UseOnnxFieldNumbers()
    {
        Assert.Equal([0x08, 0x08], new ModelProto { IrVersion = 8 }.ToByteArray());
        Assert.Equal([0x0A, 0x00, 0x10, 0x11], new OperatorSetIdProto { Domain = "", Version = 17 }.ToByteArray());
        Assert.Equal([0x12, 0x01, (byte)'N'], new TensorShapeProto.Types.Dimension { DimParam = "N" }.ToByteArray());
        Assert.Equal([0x08, 0xE0, 0x01], new TensorShapeProto.Types.Dimension { DimValue = 224 }.ToByteArray());
        // metadata_props = 14 (length-delimited): tag 0x72; key = 1, value = 2.
        var withMetadata = new ModelProto();
        withMetadata.MetadataProps.Add(new StringStringEntryProto { Key = "k", Value = "v" });
        Assert.Equal([0x72, 0x06, 0x0A, 0x01, (byte)'k', 0x12, 0x01, (byte)'v'], withMetadata.ToByteArray());
        // AttributeProto: i = 3, type = 20 (varint tag 160 = 0xA0 0x01).
        Assert.Equal([0x18, 0x05, 0xA0, 0x01, 0x02], new AttributeProto { I = 5, Type = AttributeProto.Types.AttributeType.Int }.ToByteArray());
        // TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9.
        var tensor = new TensorProto { DataType = 1, Name = "t", RawData = ByteString.CopyFrom(0, 0, 0, 0) };
        tensor.Dims.Add(1);
        Assert.Equal([0x08, 0x01, 0x10, 0x01, 0x42, 0x01, (byte)'t', 0x4A, 0x04, 0, 0, 0, 0], tensor.ToByteArray());
        // GraphProto input = 11, output = 12; ValueInfoProto name = 1; NodeProto op_type = 4.
        Assert.Equal([0x5A, 0x03, 0x0A, 0x01, (byte)'x'], new GraphProto { Input = { new ValueInfoProto { Name = "x" } } }.ToByteArray());
        Assert.Equal([0x22, 0x04, (byte)'R', (byte)'e', (byte)'l', (byte)'u'], new NodeProto { OpType = "Relu" }.ToByteArray());
    }

    [Fact]
    public void AddNode_InputNotYetDefined_ThrowsNamingTheInput()
    {
        var builder = new OnnxGraphBuilder("g", "1").AddInput("x", DataType.Float, 2);

        var e = Assert.Throws<ArgumentException>(() => builder.AddNode("Add", ["x", "later"], ["y"]));
        Assert.Contains("Input 'later' of node Add_0 is not defined yet", e.Message);
    }

    [Fact]
    public void AddNode_OutputNameAlreadyDefined_Throws()
    {
        var builder = new OnnxGraphBuilder("g", "1").AddInput("x", DataType.Float, 2);

        var e = Assert.Throws<ArgumentException>(() => builder.AddNode("Relu", ["x"], ["x"]));
        Assert.Contains("Value name 'x' (output of node Relu_0) is already defined", e.Message);
    }

    [Fact]
    public void AddNode_AttributeWithoutType_ThrowsAndLeavesTheBuilderUnchanged()
    {
        var builder = new OnnxGraphBuilder("g", "1").AddInput("x", DataType.Float, 2);

        var e = Assert.Throws<ArgumentException>(() => builder.AddNode("Softmax", ["x"], ["y"], new AttributeProto { Name = "axis", I = 0 }));
        Assert.Contains("Attribute 'axis' of node Softmax_0 needs a name and a type", e.Message);
        builder.AddNode("Softmax", ["x"], ["y"], OnnxAttribute.Int("axis", 0)); // "y" is still free
    }

    [Fact]
    public void AddFloatInitializer_ShapeDoesNotMatchValues_ThrowsWithBothCounts()
    {
        var builder = new OnnxGraphBuilder("g", "1");

        var e = Assert.Throws<ArgumentException>(() => builder.AddFloatInitializer("w", [1f, 2f, 3f, 4f, 5f], 2, 3));
        Assert.Contains("Initializer 'w' has 5 values but its shape [2, 3] holds 6", e.Message);
    }

    [Fact]
    public void AddFloatInitializer_NaN_ThrowsNamingTheElement()
    {
        var builder = new OnnxGraphBuilder("g", "1");

        var e = Assert.Throws<ArgumentException>(() => builder.AddFloatInitializer("w", [1f, float.NaN], 2));
        Assert.Contains("Initializer 'w' holds NaN at element 1", e.Message);
    }

    [Fact]
    public void Build_OutputNeverProduced_Throws()
    {
        var builder = new OnnxGraphBuilder("g", "1")
            .AddInput("x", DataType.Float, 2)
            .AddNode("Relu", ["x"], ["y"])
            .AddOutput("z", DataType.Float, 2);

        var e = Assert.Throws<InvalidOperationException>(builder.Build);
        Assert.Contains("Graph output 'z' of 'g' is never produced", e.Message);
    }

    [Fact]
    public void AddMetadata_KeyTwice_Throws()
    {
        var builder = new OnnxGraphBuilder("g", "1").AddMetadata("k", "1");

        var e = Assert.Throws<ArgumentException>(() => builder.AddMetadata("k", "2"));
        Assert.Contains("Metadata key 'k' is already set", e.Message);
    }

    [Fact]
    public void Build_ThenMoreCalls_EarlierModelUnchanged()
    {
        OnnxGraphBuilder builder = new OnnxGraphBuilder("g", "1")
            .AddInput("x", DataType.Float, 2)
            .AddNode("Relu", ["x"], ["y"])
            .AddOutput("y", DataType.Float, 2);
        ModelProto before = builder.Build();

        builder.AddNode("Neg", ["y"], ["z"]);

        Assert.Single(before.Graph.Node);
        Assert.Equal(2, builder.Build().Graph.Node.Count);
    }
}
