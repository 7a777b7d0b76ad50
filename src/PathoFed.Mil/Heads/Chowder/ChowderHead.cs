using System.Numerics.Tensors;
using PathoFed.Mil.Numerics;

namespace PathoFed.Mil.Heads.Chowder;

/// <summary>
/// CHOWDER (Courtiol et al. 2018): a per-tile linear score s_i = wᵀx_i + b (the paper's one-filter 1-D convolution), the R
/// highest scores in descending order and the R lowest in ascending order as a 2R vector, then an MLP with sigmoid hidden
/// layers and dropout. A bag with fewer than R tiles repeats its last extreme (the lowest score in the top list, the highest
/// in the bottom list), so the MLP always sees 2R values and gradients flow to real tiles only.
/// </summary>
internal sealed class ChowderHead : MilHeadBase
{
    private readonly MilParameter _scoreWeight;
    private readonly MilParameter _scoreBias;
    private readonly DenseLayer[] _layers;
    private readonly DropoutMask[] _dropouts;

    // _activations[0] is the 2R extreme-score vector; _activations[i + 1] the output of layer i (hidden layers after sigmoid+dropout).
    private readonly float[][] _activations;
    private readonly float[][] _activationGradients;

    // Hidden layer outputs before dropout: the sigmoid derivative needs them.
    private readonly float[][] _sigmoidOutputs;
    private readonly int[] _selected;
    private readonly GrowableBuffer<float> _sortKeys = new();
    private readonly GrowableBuffer<int> _order = new();
    private readonly GrowableBuffer<float> _scoreGradient = new();
    private ReadOnlyMemory<float> _instances;
    private int _rows;

    public ChowderHead(MilHeadConfig config, Random rng)
        : base(config)
    {
        var extremes = 2 * config.ExtremeCount;
        _scoreWeight = AddParameter("scoring.weight", 1, config.InputDim);
        _scoreBias = AddParameter("scoring.bias", 1);
        ParameterInit.Initialize(_scoreWeight, config.InputDim, 1, LayerInit.Xavier, rng);

        var widths = new List<int> { extremes };
        widths.AddRange(config.MlpHiddenDims);
        widths.Add(config.OutputCount);
        _layers = new DenseLayer[widths.Count - 1];
        _dropouts = new DropoutMask[_layers.Length - 1];
        _activations = new float[widths.Count][];
        _activationGradients = new float[widths.Count][];
        _sigmoidOutputs = new float[_dropouts.Length][];
        for (var i = 0; i < widths.Count; i++)
        {
            _activations[i] = new float[widths[i]];
            _activationGradients[i] = new float[widths[i]];
        }

        for (var i = 0; i < _layers.Length; i++)
        {
            var isOutput = i == _layers.Length - 1;
            _layers[i] = AddDense(isOutput ? "mlp.output" : $"mlp.hidden{i}", widths[i], widths[i + 1], LayerInit.Xavier, rng);
            if (isOutput) continue;
            _dropouts[i] = new DropoutMask(config.Dropout);
            _sigmoidOutputs[i] = new float[widths[i + 1]];
        }

        _selected = new int[extremes];
    }

    private int ExtremeCount => _selected.Length / 2;

    protected override void ForwardCore(ReadOnlyMemory<float> instances, int instanceCount, bool training, Random? rng,
        Span<float> outputs, Span<float> instanceScores)
    {
        _instances = instances;
        _rows = instanceCount;
        Blas.Gemv(false, instanceCount, Config.InputDim, 1f, instances.Span, _scoreWeight.Values, 0f, instanceScores);
        TensorPrimitives.Add(instanceScores, _scoreBias.Values[0], instanceScores);
        SelectExtremes(instanceScores);

        var extremes = _activations[0];
        for (var k = 0; k < extremes.Length; k++) extremes[k] = instanceScores[_selected[k]];

        for (var i = 0; i < _layers.Length; i++)
        {
            var output = i == _layers.Length - 1 ? outputs : _activations[i + 1];
            _layers[i].Forward(_activations[i], 1, output);
            if (i == _layers.Length - 1) break;
            TensorPrimitives.Sigmoid(output, _sigmoidOutputs[i]);
            _sigmoidOutputs[i].CopyTo(output);
            _dropouts[i].Apply(output, training, rng);
        }
    }

    protected override void BackwardCore(ReadOnlySpan<float> outputGradient)
    {
        var gradient = outputGradient;
        for (var i = _layers.Length - 1; i >= 0; i--)
        {
            _layers[i].Backward(_activations[i], gradient, 1, _activationGradients[i]);
            gradient = _activationGradients[i];
            if (i == 0) break;
            // Layer i's input is hidden layer i−1's output: back through its dropout, then its sigmoid.
            _dropouts[i - 1].Backward(_activationGradients[i]);
            VectorMath.SigmoidBackward(_sigmoidOutputs[i - 1], _activationGradients[i], _activationGradients[i]);
        }

        var scoreGradient = _scoreGradient.TakeCleared(_rows);
        for (var k = 0; k < _selected.Length; k++) scoreGradient[_selected[k]] += gradient[k];
        Blas.Gemv(true, _rows, Config.InputDim, 1f, _instances.Span, scoreGradient, 1f, _scoreWeight.Gradients);
        _scoreBias.Gradients[0] += TensorPrimitives.Sum(scoreGradient);
    }

    /// <summary>Fills <see cref="_selected"/>: top-R tiles by descending score, then bottom-R by ascending score.</summary>
    private void SelectExtremes(ReadOnlySpan<float> scores)
    {
        var n = scores.Length;
        var keys = _sortKeys.Take(n);
        scores.CopyTo(keys);
        var order = _order.Take(n);
        for (var i = 0; i < n; i++) order[i] = i;
        keys.Sort(order);
        var r = ExtremeCount;
        for (var j = 0; j < r; j++)
        {
            var rank = Math.Min(j, n - 1);
            _selected[j] = order[n - 1 - rank];
            _selected[r + j] = order[rank];
        }
    }
}
