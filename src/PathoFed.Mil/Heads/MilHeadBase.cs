using PathoFed.Mil.Data;
using PathoFed.Mil.Numerics;

namespace PathoFed.Mil.Heads;

/// <summary>What every head shares: its parameter list, input checks, the output object and parameter import/export.</summary>
internal abstract class MilHeadBase : IMilHead
{
    private readonly List<MilParameter> _parameters = [];
    private readonly MilHeadOutput _output;
    private bool _hasForward;

    protected MilHeadBase(MilHeadConfig config)
    {
        config.Validate();
        Config = config;
        _output = new MilHeadOutput(config.OutputCount);
    }

    public MilHeadConfig Config { get; }

    public IReadOnlyList<MilParameter> Parameters => _parameters;

    /// <summary>Scratch vector of ones shared by this head's layers (bias broadcasts and column sums).</summary>
    protected OnesVector Ones { get; } = new();

    public MilHeadOutput Forward(MilBag bag, bool training = false, Random? rng = null)
    {
        ArgumentNullException.ThrowIfNull(bag);
        var instances = BagChecks.Instances(bag);
        BagChecks.Validate(bag.SlideId, instances.Span, bag.InstanceCount, bag.Dim, Config);
        return Run(bag.SlideId, instances, bag.InstanceCount, training, rng);
    }

    public MilHeadOutput Forward(string slideId, ReadOnlyMemory<float> instances, int instanceCount, bool training, Random? rng)
    {
        BagChecks.Validate(slideId, instances.Span, instanceCount, Config.InputDim, Config);
        return Run(slideId, instances, instanceCount, training, rng);
    }

    private MilHeadOutput Run(string slideId, ReadOnlyMemory<float> instances, int instanceCount, bool training, Random? rng)
    {
        if (training && Config.Dropout > 0f && rng is null)
            throw new ArgumentNullException(nameof(rng), "Training with dropout needs a random source.");

        var scores = _output.Begin(slideId, instanceCount);
        ForwardCore(instances, instanceCount, training, rng, _output.WritableOutputs, scores);
        _hasForward = true;
        return _output;
    }

    public void Backward(ReadOnlySpan<float> outputGradient)
    {
        if (!_hasForward) throw new InvalidOperationException("Backward needs a forward pass first.");
        if (outputGradient.Length != Config.OutputCount)
            throw new ArgumentException($"The output gradient has {outputGradient.Length} values; the head has {Config.OutputCount} outputs.", nameof(outputGradient));
        BackwardCore(outputGradient);
    }

    public void ZeroGradients()
    {
        foreach (var parameter in _parameters) Array.Clear(parameter.Gradients);
    }

    public IReadOnlyList<NamedTensor> GetParameters()
    {
        var tensors = new NamedTensor[_parameters.Count];
        for (var i = 0; i < tensors.Length; i++)
        {
            var parameter = _parameters[i];
            tensors[i] = new NamedTensor(parameter.Name, [.. parameter.Shape], (float[])parameter.Values.Clone());
        }

        return tensors;
    }

    public void SetParameters(IReadOnlyList<NamedTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var byName = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (var tensor in tensors)
            if (!byName.TryAdd(tensor.Name, tensor)) throw new MilException($"{Config.Kind} head parameters: tensor {tensor.Name} appears twice.");

        // Check everything before changing anything, so a bad set leaves the head as it was.
        foreach (var parameter in _parameters)
        {
            if (!byName.TryGetValue(parameter.Name, out var tensor))
                throw new MilException($"{Config.Kind} head parameters: tensor {parameter.Name} is missing.");
            if (!tensor.Shape.AsSpan().SequenceEqual(parameter.Shape.ToArray()) || tensor.Values.Length != parameter.Values.Length)
                throw new MilException(
                    $"{Config.Kind} head parameters: tensor {parameter.Name} has shape [{string.Join(", ", tensor.Shape)}] ({tensor.Values.Length} values); the head needs [{string.Join(", ", parameter.Shape)}].");
            var bad = VectorMath.IndexOfNonFinite(tensor.Values);
            if (bad >= 0) throw new MilException($"{Config.Kind} head parameters: tensor {parameter.Name} holds {tensor.Values[bad]} at {bad}.");
        }

        if (byName.Count != _parameters.Count)
            foreach (var name in byName.Keys)
                if (_parameters.FindIndex(p => p.Name == name) < 0)
                    throw new MilException($"{Config.Kind} head parameters: tensor {name} is not a parameter of this head.");

        foreach (var parameter in _parameters) byName[parameter.Name].Values.CopyTo(parameter.Values, 0);
    }

    protected MilParameter AddParameter(string name, params int[] shape)
    {
        var parameter = new MilParameter(name, shape);
        _parameters.Add(parameter);
        return parameter;
    }

    /// <summary>A Linear(in → out) layer named <paramref name="prefix"/>.weight / .bias, initialised for its activation.</summary>
    protected DenseLayer AddDense(string prefix, int inputDim, int outputDim, LayerInit init, Random rng)
    {
        var layer = new DenseLayer(AddParameter(prefix + ".weight", outputDim, inputDim), AddParameter(prefix + ".bias", outputDim), Ones);
        ParameterInit.Initialize(layer.Weight, inputDim, outputDim, init, rng);
        return layer;
    }

    /// <param name="instances">Row-major, <paramref name="instanceCount"/> x InputDim, finite.</param>
    /// <param name="outputs">Where the logits or risk go.</param>
    /// <param name="instanceScores">Where the per-instance scores go.</param>
    protected abstract void ForwardCore(ReadOnlyMemory<float> instances, int instanceCount, bool training, Random? rng,
        Span<float> outputs, Span<float> instanceScores);

    protected abstract void BackwardCore(ReadOnlySpan<float> outputGradient);
}
