using System.Buffers.Binary;
using Google.Protobuf;

namespace PathoFed.Features.Onnx;

/// <summary>
/// Builds a single-graph ONNX model (IR version 8, ai.onnx opset 17 by default) in memory: typed inputs and outputs
/// with fixed or symbolic dimensions, dense float and int64 initializers, ai.onnx nodes in topological order and
/// model metadata. Every value name is checked when it is used, so a malformed graph fails here, naming the value,
/// rather than later inside ONNX Runtime.
/// </summary>
/// <remarks>
/// Output is deterministic: the same sequence of calls gives the same bytes. Nothing is ordered by hashing or time,
/// node names are derived from their position, and tensors are written as little-endian raw data.
/// </remarks>
public sealed class OnnxGraphBuilder
{
    /// <summary>ONNX IR version 8, which ONNX 1.12, the release that introduced opset 17, writes.</summary>
    public const long IrVersion = 8;

    public const long DefaultOpsetVersion = 17;

    public const string DefaultProducerName = "PathoFed";

    private readonly GraphProto _graph;
    private readonly List<StringStringEntryProto> _metadata = [];
    private readonly HashSet<string> _definedValues = new(StringComparer.Ordinal);
    private readonly HashSet<string> _outputNames = new(StringComparer.Ordinal);

    /// <param name="graphName">The graph's name, stored in the model.</param>
    /// <param name="producerVersion">
    /// The version of the code that writes the model. Pass <see cref="PathoFedVersion.Current"/> for exported trained
    /// models; a model whose bytes must not change from build to build passes a constant of its own.
    /// </param>
    /// <param name="opsetVersion">The ai.onnx operator set every node binds to.</param>
    public OnnxGraphBuilder(string graphName, string producerVersion, long opsetVersion = DefaultOpsetVersion)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(graphName);
        ArgumentException.ThrowIfNullOrWhiteSpace(producerVersion);
        ArgumentOutOfRangeException.ThrowIfLessThan(opsetVersion, 1);
        _graph = new GraphProto { Name = graphName };
        ProducerVersion = producerVersion;
        OpsetVersion = opsetVersion;
    }

    public string ProducerName { get; init; } = DefaultProducerName;

    /// <summary>The ai.onnx operator set version the model imports.</summary>
    public long OpsetVersion { get; }

    public string ProducerVersion { get; }

    /// <summary>Reverse-DNS name space of the model, or null to leave it unset.</summary>
    public string? Domain { get; init; }

    /// <summary>The version of this model (not of ONNX), or null to leave it unset.</summary>
    public long? ModelVersion { get; init; }

    /// <summary>Human-readable description stored as the model's doc_string, or null for none.</summary>
    public string? DocString { get; init; }

    /// <summary>Declares a graph input of <paramref name="elementType"/> and <paramref name="shape"/> (an empty shape is a scalar).</summary>
    /// <exception cref="ArgumentException">The name is empty or already defined, or the element type is undefined.</exception>
    public OnnxGraphBuilder AddInput(string name, TensorProto.Types.DataType elementType, params ReadOnlySpan<OnnxDim> shape)
    {
        ValueInfoProto input = ValueInfo(name, elementType, shape);
        Define(name, "graph input");
        _graph.Input.Add(input);
        return this;
    }

    /// <summary>Declares a graph output; some node (or an input or initializer) must produce it by the time the model is built.</summary>
    /// <exception cref="ArgumentException">The name is empty or already declared as an output, or the element type is undefined.</exception>
    public OnnxGraphBuilder AddOutput(string name, TensorProto.Types.DataType elementType, params ReadOnlySpan<OnnxDim> shape)
    {
        ValueInfoProto output = ValueInfo(name, elementType, shape);
        if (!_outputNames.Add(name)) throw new ArgumentException($"Graph output '{name}' is declared twice", nameof(name));
        _graph.Output.Add(output);
        return this;
    }

    /// <summary>Adds a constant float32 tensor, row-major, of shape <paramref name="dims"/> (none for a scalar).</summary>
    /// <exception cref="ArgumentException">
    /// The name is empty or already defined, the element count does not match the shape, or a value is NaN or infinite.
    /// </exception>
    public OnnxGraphBuilder AddFloatInitializer(string name, ReadOnlySpan<float> values, params ReadOnlySpan<long> dims)
    {
        CheckElementCount(name, values.Length, dims);
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentException($"Initializer '{name}' holds {values[i]} at element {i}; ONNX models written by PathoFed hold finite values only", nameof(values));
            }
        }
        Define(name, "initializer");

        byte[] raw = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * sizeof(float)), values[i]);
        _graph.Initializer.Add(Tensor(name, TensorProto.Types.DataType.Float, dims, raw));
        return this;
    }

    /// <summary>Adds a constant int64 tensor (shapes, axes, pads, indices), row-major, of shape <paramref name="dims"/>.</summary>
    /// <exception cref="ArgumentException">The name is empty or already defined, or the element count does not match the shape.</exception>
    public OnnxGraphBuilder AddInt64Initializer(string name, ReadOnlySpan<long> values, params ReadOnlySpan<long> dims)
    {
        CheckElementCount(name, values.Length, dims);
        Define(name, "initializer");

        byte[] raw = new byte[values.Length * sizeof(long)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * sizeof(long)), values[i]);
        _graph.Initializer.Add(Tensor(name, TensorProto.Types.DataType.Int64, dims, raw));
        return this;
    }

    /// <summary>
    /// Appends an ai.onnx node. Inputs must already be defined (graph inputs, initializers or earlier nodes' outputs),
    /// which keeps the node list topologically sorted; an empty string marks an omitted optional input.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// An input is not yet defined, an output is already defined, there are no outputs, an attribute lacks its name or
    /// type, or two attributes share a name.
    /// </exception>
    public OnnxGraphBuilder AddNode(string opType, ReadOnlySpan<string> inputs, ReadOnlySpan<string> outputs, params ReadOnlySpan<AttributeProto> attributes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(opType);
        if (outputs.IsEmpty) throw new ArgumentException($"{opType} node needs at least one output", nameof(outputs));
        string nodeName = $"{opType}_{_graph.Node.Count}";

        var node = new NodeProto { Name = nodeName, OpType = opType };
        foreach (string input in inputs)
        {
            ArgumentNullException.ThrowIfNull(input, nameof(inputs));
            if (input.Length > 0 && !_definedValues.Contains(input))
            {
                throw new ArgumentException($"Input '{input}' of node {nodeName} is not defined yet: add it as a graph input, an initializer or an earlier node's output", nameof(inputs));
            }
            node.Input.Add(input);
        }

        var attributeNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (AttributeProto attribute in attributes)
        {
            ArgumentNullException.ThrowIfNull(attribute, nameof(attributes));
            if (string.IsNullOrEmpty(attribute.Name) || attribute.Type == AttributeProto.Types.AttributeType.Undefined)
            {
                throw new ArgumentException($"Attribute '{attribute.Name}' of node {nodeName} needs a name and a type; create it with OnnxAttribute", nameof(attributes));
            }
            if (!attributeNames.Add(attribute.Name)) throw new ArgumentException($"Node {nodeName} has attribute '{attribute.Name}' twice", nameof(attributes));
            node.Attribute.Add(attribute.Clone());
        }

        // Outputs are checked all together before any is defined, so a rejected node leaves the builder unchanged,
        // and after the inputs, so that a node cannot consume its own output.
        var outputNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (string output in outputs)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(output, nameof(outputs));
            if (_definedValues.Contains(output) || !outputNames.Add(output))
            {
                throw new ArgumentException($"Value name '{output}' (output of node {nodeName}) is already defined in graph '{_graph.Name}'; ONNX value names must be unique", nameof(outputs));
            }
        }
        foreach (string output in outputs) Define(output, $"output of node {nodeName}");
        node.Output.AddRange(outputs.ToArray());
        _graph.Node.Add(node);
        return this;
    }

    /// <summary>Adds a metadata_props entry (ONNX Runtime exposes them as the model's custom metadata).</summary>
    /// <exception cref="ArgumentException">The key is empty or already present.</exception>
    public OnnxGraphBuilder AddMetadata(string key, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(value);
        foreach (StringStringEntryProto entry in _metadata)
        {
            if (entry.Key == key) throw new ArgumentException($"Metadata key '{key}' is already set", nameof(key));
        }
        _metadata.Add(new StringStringEntryProto { Key = key, Value = value });
        return this;
    }

    /// <summary>A new model holding a copy of the graph built so far; later calls on the builder do not change it.</summary>
    /// <exception cref="InvalidOperationException">The graph has no outputs, or a declared output is never produced.</exception>
    public ModelProto Build()
    {
        if (_graph.Output.Count == 0) throw new InvalidOperationException($"Graph '{_graph.Name}' declares no outputs");
        foreach (ValueInfoProto output in _graph.Output)
        {
            if (!_definedValues.Contains(output.Name))
            {
                throw new InvalidOperationException($"Graph output '{output.Name}' of '{_graph.Name}' is never produced: no node, input or initializer has that name");
            }
        }

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = ProducerName,
            ProducerVersion = ProducerVersion,
            Graph = _graph.Clone(),
        };
        if (Domain is not null) model.Domain = Domain;
        if (ModelVersion is { } version) model.ModelVersion = version;
        if (DocString is not null) model.DocString = DocString;
        // Domain "" is ai.onnx, the standard operators.
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
        foreach (StringStringEntryProto entry in _metadata) model.MetadataProps.Add(entry.Clone());
        return model;
    }

    /// <summary>The serialized model: the content of a .onnx file. Same graph, same bytes.</summary>
    /// <exception cref="InvalidOperationException">See <see cref="Build"/>.</exception>
    public byte[] ToBytes() => Build().ToByteArray();

    private void Define(string name, string what)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!_definedValues.Add(name))
        {
            throw new ArgumentException($"Value name '{name}' ({what}) is already defined in graph '{_graph.Name}'; ONNX value names must be unique", nameof(name));
        }
    }

    private static void CheckElementCount(string name, int count, ReadOnlySpan<long> dims)
    {
        long expected = 1;
        foreach (long dim in dims)
        {
            if (dim < 0) throw new ArgumentException($"Initializer '{name}' has negative dimension {dim}", nameof(dims));
            expected = checked(expected * dim);
        }
        if (expected != count)
        {
            throw new ArgumentException($"Initializer '{name}' has {count} values but its shape [{string.Join(", ", dims.ToArray())}] holds {expected}", nameof(dims));
        }
    }

    private static TensorProto Tensor(string name, TensorProto.Types.DataType type, ReadOnlySpan<long> dims, byte[] raw)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        foreach (long dim in dims) tensor.Dims.Add(dim);
        return tensor;
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType elementType, ReadOnlySpan<OnnxDim> shape)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (elementType == TensorProto.Types.DataType.Undefined) throw new ArgumentException($"Value '{name}' needs an element type", nameof(elementType));
        var tensorShape = new TensorShapeProto();
        foreach (OnnxDim dim in shape)
        {
            var dimension = new TensorShapeProto.Types.Dimension();
            if (dim.Value is { } value) dimension.DimValue = value;
            else if (dim.Symbol is { } symbol) dimension.DimParam = symbol;
            tensorShape.Dim.Add(dimension);
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = tensorShape } },
        };
    }
}
