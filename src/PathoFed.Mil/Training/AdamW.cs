using PathoFed.Mil.Heads;

namespace PathoFed.Mil.Training;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov and Hutter 2019), step for step as PyTorch's AdamW:
/// w ← w·(1 − lr·λ); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; w ← w − lr·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε).
/// </summary>
public sealed class AdamW
{
    private readonly IReadOnlyList<MilParameter> _parameters;
    private readonly float[][] _firstMoments;
    private readonly float[][] _secondMoments;
    private readonly float _learningRate;
    private readonly float _beta1;
    private readonly float _beta2;
    private readonly float _epsilon;
    private readonly float _weightDecay;

    /// <summary>Optimises <paramref name="parameters"/> in place, from their <see cref="MilParameter.Gradients"/>.</summary>
    public AdamW(IReadOnlyList<MilParameter> parameters, float learningRate, float weightDecay = 1e-2f, float beta1 = 0.9f,
        float beta2 = 0.999f, float epsilon = 1e-8f)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(learningRate);
        ArgumentOutOfRangeException.ThrowIfNegative(weightDecay);
        _parameters = parameters;
        _learningRate = learningRate;
        _weightDecay = weightDecay;
        _beta1 = beta1;
        _beta2 = beta2;
        _epsilon = epsilon;
        _firstMoments = new float[parameters.Count][];
        _secondMoments = new float[parameters.Count][];
        for (var i = 0; i < parameters.Count; i++)
        {
            _firstMoments[i] = new float[parameters[i].Values.Length];
            _secondMoments[i] = new float[parameters[i].Values.Length];
        }
    }

    /// <summary>Whether this optimiser updates exactly <paramref name="parameters"/> (the same parameter objects).</summary>
    public bool Optimises(IReadOnlyList<MilParameter> parameters) =>
        parameters.Count == _parameters.Count && parameters.Select((p, i) => ReferenceEquals(p, _parameters[i])).All(same => same);

    /// <summary>Steps taken so far.</summary>
    public int StepCount { get; private set; }

    /// <summary>One update of every parameter from its current gradient.</summary>
    public void Step()
    {
        StepCount++;
        var firstCorrection = 1.0 - Math.Pow(_beta1, StepCount);
        var secondCorrectionRoot = Math.Sqrt(1.0 - Math.Pow(_beta2, StepCount));
        var stepSize = (float)(_learningRate / firstCorrection);
        var decay = 1f - _learningRate * _weightDecay;
        for (var p = 0; p < _parameters.Count; p++)
        {
            var values = _parameters[p].Values;
            var gradients = _parameters[p].Gradients;
            var m = _firstMoments[p];
            var v = _secondMoments[p];
            for (var i = 0; i < values.Length; i++)
            {
                var g = gradients[i];
                m[i] = _beta1 * m[i] + (1f - _beta1) * g;
                v[i] = _beta2 * v[i] + (1f - _beta2) * g * g;
                var denominator = (float)(Math.Sqrt(v[i]) / secondCorrectionRoot) + _epsilon;
                values[i] = values[i] * decay - stepSize * m[i] / denominator;
            }
        }
    }
}
