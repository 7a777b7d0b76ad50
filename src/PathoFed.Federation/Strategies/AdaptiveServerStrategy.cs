using System.Numerics.Tensors;
using PathoFed.Federation.Updates;
using PathoFed.Mil.Data;

namespace PathoFed.Federation.Strategies;

/// <summary>
/// Adaptive server optimisation (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2): the weighted mean
/// of (local − global) is a pseudo-gradient Δ; the server keeps moments m ← β1·m + (1−β1)·Δ and v (rule per subclass)
/// and steps x ← x + η·m / (√v + τ). As in the paper there is no bias correction and v starts at τ².
/// </summary>
public abstract class AdaptiveServerStrategy : IAggregationStrategy
{
    /// <summary>Prefix of the first-moment tensors in <see cref="ExportState"/>.</summary>
    public const string FirstMomentPrefix = "m/";

    /// <summary>Prefix of the second-moment tensors in <see cref="ExportState"/>.</summary>
    public const string SecondMomentPrefix = "v/";

    private NamedTensor[]? _firstMoments;
    private NamedTensor[]? _secondMoments;

    private protected AdaptiveServerStrategy(AdaptiveOptions options) => Options = options.Validate();

    /// <summary>The validated options.</summary>
    public AdaptiveOptions Options { get; }

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public FitConfig ConfigureFit(int round) => new(round, Options.LocalEpochs, Options.LearningRate, ProximalMu: 0);

    /// <inheritdoc />
    public IReadOnlyList<NamedTensor>? AggregateFit(
        int round, IReadOnlyList<NamedTensor> global, IReadOnlyList<FitResult> results, IReadOnlyList<FitFailure> failures)
    {
        ArgumentNullException.ThrowIfNull(global);
        ArgumentNullException.ThrowIfNull(results);
        return results.Count == 0 ? null : AggregateWeightedMean(round, global, WeightedMean.Compute(round, global, results));
    }

    /// <inheritdoc />
    public IReadOnlyList<NamedTensor> AggregateWeightedMean(int round, IReadOnlyList<NamedTensor> global, IReadOnlyList<NamedTensor> weightedMean)
    {
        ArgumentNullException.ThrowIfNull(global);
        ArgumentNullException.ThrowIfNull(weightedMean);
        ParameterLayout.RequireSameLayout("(weighted mean)", round, global, weightedMean);
        EnsureMoments(global);

        var beta1 = (float)Options.Beta1;
        var serverLearningRate = (float)Options.ServerLearningRate;
        var tau = (float)Options.Tau;
        var next = new NamedTensor[global.Count];
        for (var t = 0; t < global.Count; t++)
        {
            var current = global[t].Values;
            var delta = new float[current.Length];
            var scratch = new float[current.Length];
            var m = _firstMoments![t].Values;
            var v = _secondMoments![t].Values;

            TensorPrimitives.Subtract(weightedMean[t].Values, current, delta);
            TensorPrimitives.Multiply(m, beta1, m);
            TensorPrimitives.MultiplyAdd(delta, 1f - beta1, m, m);

            TensorPrimitives.Multiply(delta, delta, scratch);
            UpdateSecondMoment(v, scratch, (float)Options.Beta2);

            // step = η·m/(√v + τ), reusing the scratch buffer, then x + step into a fresh tensor.
            TensorPrimitives.Sqrt(v, scratch);
            TensorPrimitives.Add(scratch, tau, scratch);
            TensorPrimitives.Divide(m, scratch, scratch);
            var values = new float[current.Length];
            TensorPrimitives.MultiplyAdd(scratch, serverLearningRate, current, values);
            next[t] = new NamedTensor(global[t].Name, (int[])global[t].Shape.Clone(), values);
        }

        return next;
    }

    /// <summary>Updates the second moment <paramref name="v"/> in place from the squared pseudo-gradient.</summary>
    private protected abstract void UpdateSecondMoment(Span<float> v, ReadOnlySpan<float> deltaSquared, float beta2);

    /// <inheritdoc />
    public IReadOnlyList<NamedTensor> ExportState()
    {
        if (_firstMoments is null || _secondMoments is null)
        {
            return [];
        }

        var state = new List<NamedTensor>(2 * _firstMoments.Length);
        foreach (var m in _firstMoments)
        {
            state.Add(Copy(FirstMomentPrefix + m.Name, m));
        }

        foreach (var v in _secondMoments)
        {
            state.Add(Copy(SecondMomentPrefix + v.Name, v));
        }

        return state;
    }

    /// <inheritdoc />
    public void ImportState(IReadOnlyList<NamedTensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Count == 0)
        {
            _firstMoments = _secondMoments = null;
            return;
        }

        if (state.Count % 2 != 0)
        {
            throw new FederationException($"Strategy '{Name}' state must hold m and v per tensor; it holds {state.Count} tensors.");
        }

        var half = state.Count / 2;
        var first = new NamedTensor[half];
        var second = new NamedTensor[half];
        for (var t = 0; t < half; t++)
        {
            first[t] = Unprefix(state[t], FirstMomentPrefix);
            second[t] = Unprefix(state[half + t], SecondMomentPrefix);
            if (first[t].Name != second[t].Name || !first[t].Shape.AsSpan().SequenceEqual(second[t].Shape))
            {
                throw new FederationException(
                    $"Strategy '{Name}' state: first moment '{state[t].Name}' does not pair with second moment '{state[half + t].Name}'.");
            }
        }

        _firstMoments = first;
        _secondMoments = second;
    }

    private void EnsureMoments(IReadOnlyList<NamedTensor> global)
    {
        if (_firstMoments is null || _secondMoments is null)
        {
            var tauSquared = (float)(Options.Tau * Options.Tau);
            _firstMoments = new NamedTensor[global.Count];
            _secondMoments = new NamedTensor[global.Count];
            for (var t = 0; t < global.Count; t++)
            {
                var v = new float[global[t].Values.Length];
                v.AsSpan().Fill(tauSquared);
                _firstMoments[t] = new NamedTensor(global[t].Name, (int[])global[t].Shape.Clone(), new float[v.Length]);
                _secondMoments[t] = new NamedTensor(global[t].Name, (int[])global[t].Shape.Clone(), v);
            }

            return;
        }

        if (_firstMoments.Length != global.Count)
        {
            throw new FederationException(
                $"Strategy '{Name}' holds moments for {_firstMoments.Length} tensors, the global model has {global.Count}: the state belongs to another model.");
        }

        for (var t = 0; t < global.Count; t++)
        {
            if (_firstMoments[t].Name != global[t].Name || _firstMoments[t].Values.Length != global[t].Values.Length)
            {
                throw new FederationException(
                    $"Strategy '{Name}' moment '{_firstMoments[t].Name}' ({_firstMoments[t].Values.Length} values) does not match global tensor '{global[t].Name}' ({global[t].Values.Length} values).");
            }
        }
    }

    private NamedTensor Unprefix(NamedTensor tensor, string prefix)
    {
        if (!tensor.Name.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new FederationException($"Strategy '{Name}' state tensor '{tensor.Name}' should start with '{prefix}'.");
        }

        return Copy(tensor.Name[prefix.Length..], tensor);
    }

    private static NamedTensor Copy(string name, NamedTensor tensor) =>
        new(name, (int[])tensor.Shape.Clone(), (float[])tensor.Values.Clone());
}

/// <summary>FedAdam: v ← β2·v + (1−β2)·Δ².</summary>
public sealed class FedAdamStrategy(AdaptiveOptions options) : AdaptiveServerStrategy(options)
{
    /// <inheritdoc />
    public override string Name => AggregationStrategyFactory.FedAdam;

    private protected override void UpdateSecondMoment(Span<float> v, ReadOnlySpan<float> deltaSquared, float beta2)
    {
        TensorPrimitives.Multiply(v, beta2, v);
        TensorPrimitives.MultiplyAdd(deltaSquared, 1f - beta2, v, v);
    }
}

/// <summary>
/// FedYogi: v ← v − (1−β2)·Δ²·sign(v − Δ²). v changes by at most (1−β2)·Δ² per round, whatever its size, so the
/// effective step shrinks less abruptly than Adam's when gradients are sparse.
/// </summary>
public sealed class FedYogiStrategy(AdaptiveOptions options) : AdaptiveServerStrategy(options)
{
    /// <inheritdoc />
    public override string Name => AggregationStrategyFactory.FedYogi;

    private protected override void UpdateSecondMoment(Span<float> v, ReadOnlySpan<float> deltaSquared, float beta2)
    {
        var rate = 1f - beta2;
        for (var i = 0; i < v.Length; i++)
        {
            v[i] -= rate * deltaSquared[i] * MathF.Sign(v[i] - deltaSquared[i]);
        }
    }
}
