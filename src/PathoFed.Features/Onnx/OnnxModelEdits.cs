using System.Buffers.Binary;
using Google.Protobuf;
using DataType = PathoFed.Features.Onnx.TensorProto.Types.DataType;

namespace PathoFed.Features.Onnx;

/// <summary>
/// The few rewrites PathoFed makes to ONNX models it did not write: a dynamic batch axis, BatchNormalization folded
/// into the convolution before it, and a float16 copy of a float32 model whose inputs and outputs stay float32.
/// Each edits the <see cref="ModelProto"/> in place and drops the stored intermediate shapes (<c>value_info</c>),
/// which the edit may invalidate and ONNX Runtime infers again.
/// </summary>
public static class OnnxModelEdits
{
    /// <summary>Parses ONNX bytes; a file that is not a model fails with the parser's reason.</summary>
    /// <exception cref="InvalidDataException">Not a protobuf ModelProto with a graph.</exception>
    public static ModelProto Parse(ReadOnlySpan<byte> bytes)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"not an ONNX model ({e.Message})", e);
        }
        return model.Graph is null ? throw new InvalidDataException("an ONNX model without a graph") : model;
    }

    /// <summary>Makes axis 0 of every graph input and output the symbolic dimension <paramref name="name"/>.</summary>
    public static void MakeBatchDynamic(ModelProto model, string name = "N")
    {
        SeparateInitializersFromInputs(model);
        foreach (ValueInfoProto value in model.Graph.Input.Concat(model.Graph.Output))
        {
            if (value.Type?.TensorType?.Shape is not { Dim.Count: > 0 } shape) continue;
            shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = name };
        }
        model.Graph.ValueInfo.Clear();
    }

    /// <summary>
    /// Folds every inference-mode BatchNormalization whose input is a Conv read by nothing else into that Conv's
    /// weight and bias (computed in double): w' = w·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β. Returns how many were folded.
    /// </summary>
    public static int FoldBatchNormalization(ModelProto model)
    {
        GraphProto graph = model.Graph;
        Dictionary<string, TensorProto> initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        Dictionary<string, int> readers = graph.Node.SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name))
            .GroupBy(n => n, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        Dictionary<string, NodeProto> producers = graph.Node.Where(n => n.Output.Count > 0).ToDictionary(n => n.Output[0], StringComparer.Ordinal);

        int folded = 0;
        foreach (NodeProto norm in graph.Node.Where(n => n.OpType == "BatchNormalization").ToList())
        {
            if (norm.Input.Count != 5 || norm.Output.Count != 1) continue; // training-mode outputs: leave it
            if (!producers.TryGetValue(norm.Input[0], out NodeProto? conv) || conv.OpType != "Conv" || readers[norm.Input[0]] != 1) continue;
            if (!norm.Input.Skip(1).All(initializers.ContainsKey) || !conv.Input.Skip(1).All(initializers.ContainsKey)) continue;

            float[] scale = ReadFloats(initializers[norm.Input[1]]), shift = ReadFloats(initializers[norm.Input[2]]);
            float[] mean = ReadFloats(initializers[norm.Input[3]]), variance = ReadFloats(initializers[norm.Input[4]]);
            double epsilon = norm.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5;
            TensorProto weight = initializers[conv.Input[1]];
            float[] w = ReadFloats(weight);
            int channels = (int)weight.Dims[0], perChannel = w.Length / channels;
            if (scale.Length != channels || shift.Length != channels || mean.Length != channels || variance.Length != channels) continue;
            float[] bias = conv.Input.Count > 2 ? ReadFloats(initializers[conv.Input[2]]) : new float[channels];

            var newWeight = new float[w.Length];
            var newBias = new float[channels];
            for (int c = 0; c < channels; c++)
            {
                double factor = scale[c] / Math.Sqrt(variance[c] + epsilon);
                for (int i = c * perChannel; i < (c + 1) * perChannel; i++) newWeight[i] = (float)(w[i] * factor);
                newBias[c] = (float)((bias[c] - mean[c]) * factor + shift[c]);
            }

            string weightName = conv.Input[1] + "_bnfolded", biasName = conv.Output[0] + "_bnbias";
            graph.Initializer.Add(FloatTensor(weightName, newWeight, weight.Dims));
            graph.Initializer.Add(FloatTensor(biasName, newBias, [channels]));
            conv.Input[1] = weightName;
            if (conv.Input.Count > 2) conv.Input[2] = biasName;
            else conv.Input.Add(biasName);
            conv.Output[0] = norm.Output[0];
            graph.Node.Remove(norm);
            folded++;
        }
        RemoveUnusedInitializers(graph);
        graph.ValueInfo.Clear();
        return folded;
    }

    /// <summary>
    /// Converts a float32 model to float16: every float initializer and Constant, and every Cast to float, becomes
    /// float16; float inputs are cast to float16 on entry and float outputs back to float32 on exit, so callers keep
    /// feeding and reading float32 (on a GPU the casts run there, and the weights take half the memory).
    /// </summary>
    /// <exception cref="NotSupportedException">The model uses subgraphs.</exception>
    /// <exception cref="InvalidDataException">A float tensor has no data in the model (weights kept in external files).</exception>
    public static void ConvertToFloat16(ModelProto model)
    {
        GraphProto graph = model.Graph;
        if (graph.Node.Any(n => n.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0)))
        {
            throw new NotSupportedException("float16 conversion of a model with subgraphs (If, Loop, Scan)");
        }

        SeparateInitializersFromInputs(model);
        foreach (TensorProto tensor in graph.Initializer.Where(t => t.DataType == (int)DataType.Float).ToList()) ToHalfInPlace(tensor);
        foreach (NodeProto node in graph.Node)
        {
            foreach (AttributeProto attribute in node.Attribute)
            {
                if (node.OpType == "Constant" && attribute.T is { DataType: (int)DataType.Float } constant) ToHalfInPlace(constant);
                if (node.OpType == "Cast" && attribute.Name == "to" && attribute.I == (long)DataType.Float) attribute.I = (long)DataType.Float16;
            }
        }

        var casts = new List<NodeProto>();
        foreach (ValueInfoProto input in graph.Input.Where(IsFloat))
        {
            string half = input.Name + "_fp16";
            foreach (NodeProto node in graph.Node)
            {
                for (int i = 0; i < node.Input.Count; i++) if (node.Input[i] == input.Name) node.Input[i] = half;
            }
            casts.Add(CastNode(input.Name, half, DataType.Float16));
        }
        for (int i = 0; i < casts.Count; i++) graph.Node.Insert(i, casts[i]);
        foreach (ValueInfoProto output in graph.Output.Where(IsFloat))
        {
            string half = output.Name + "_fp16";
            foreach (NodeProto node in graph.Node)
            {
                for (int i = 0; i < node.Output.Count; i++) if (node.Output[i] == output.Name) node.Output[i] = half;
                for (int i = 0; i < node.Input.Count; i++) if (node.Input[i] == output.Name) node.Input[i] = half;
            }
            graph.Node.Add(CastNode(half, output.Name, DataType.Float));
        }
        graph.ValueInfo.Clear();
    }

    /// <summary>The values of a float tensor stored as raw little-endian bytes or as float_data.</summary>
    /// <exception cref="InvalidDataException">Not a float tensor, or its data does not match its shape.</exception>
    public static float[] ReadFloats(TensorProto tensor)
    {
        if (tensor.DataType != (int)DataType.Float) throw new InvalidDataException($"tensor '{tensor.Name}' is not float32");
        long count = tensor.Dims.Aggregate(1L, (a, d) => a * d);
        float[] values;
        if (tensor.RawData.Length > 0)
        {
            ReadOnlySpan<byte> raw = tensor.RawData.Span;
            if (raw.Length != count * 4) throw new InvalidDataException($"tensor '{tensor.Name}' holds {raw.Length} bytes for {count} floats");
            values = new float[count];
            for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
        }
        else
        {
            values = tensor.FloatData.ToArray();
            if (values.Length != count) throw new InvalidDataException($"tensor '{tensor.Name}' holds {values.Length} floats for a shape of {count}");
        }
        return values;
    }

    /// <summary>A float32 initializer stored as raw little-endian bytes.</summary>
    public static TensorProto FloatTensor(string name, ReadOnlySpan<float> values, IEnumerable<long> dims)
    {
        var raw = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(4 * i), values[i]);
        var tensor = new TensorProto { Name = name, DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(raw) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    private static void ToHalfInPlace(TensorProto tensor)
    {
        float[] values = ReadFloats(tensor);
        var raw = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(raw.AsSpan(2 * i), (Half)values[i]);
        tensor.FloatData.Clear();
        tensor.RawData = ByteString.CopyFrom(raw);
        tensor.DataType = (int)DataType.Float16;
    }

    /// <summary>
    /// Models of IR version 3 also list every initializer among the graph inputs; from IR version 4 they need not,
    /// and the edits here treat graph inputs as the caller's tensors only.
    /// </summary>
    private static void SeparateInitializersFromInputs(ModelProto model)
    {
        var initializers = new HashSet<string>(model.Graph.Initializer.Select(t => t.Name), StringComparer.Ordinal);
        foreach (ValueInfoProto input in model.Graph.Input.Where(i => initializers.Contains(i.Name)).ToList()) model.Graph.Input.Remove(input);
        model.IrVersion = Math.Max(model.IrVersion, 4);
    }

    private static bool IsFloat(ValueInfoProto value) => value.Type?.TensorType?.ElemType == (int)DataType.Float;

    private static NodeProto CastNode(string input, string output, DataType to)
    {
        var node = new NodeProto { OpType = "Cast", Name = $"cast_{output}" };
        node.Input.Add(input);
        node.Output.Add(output);
        node.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)to });
        return node;
    }

    private static void RemoveUnusedInitializers(GraphProto graph)
    {
        var used = new HashSet<string>(graph.Node.SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name)), StringComparer.Ordinal);
        var removed = new HashSet<string>(StringComparer.Ordinal);
        foreach (TensorProto unused in graph.Initializer.Where(t => !used.Contains(t.Name)).ToList())
        {
            graph.Initializer.Remove(unused);
            removed.Add(unused.Name);
        }
        // Models of IR version 3 also list each initializer among the graph inputs.
        foreach (ValueInfoProto input in graph.Input.Where(i => removed.Contains(i.Name)).ToList()) graph.Input.Remove(input);
    }
}
