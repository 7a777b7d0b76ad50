using PathoFed.Mil.Data;

namespace PathoFed.Federation.Strategies;

/// <summary>Federated averaging (McMahan et al. 2017): the next model is the example-weighted mean of the sites' models.</summary>
public sealed class FedAvgStrategy(FedAvgOptions options) : IAggregationStrategy
{
    private readonly FedAvgOptions _options = options.Validate();

    /// <inheritdoc />
    public string Name => AggregationStrategyFactory.FedAvg;

    /// <inheritdoc />
    public FitConfig ConfigureFit(int round) => new(round, _options.LocalEpochs, _options.LearningRate, ProximalMu: 0);

    /// <inheritdoc />
    public IReadOnlyList<NamedTensor>? AggregateFit(
        int round, IReadOnlyList<NamedTensor> global, IReadOnlyList<FitResult> results, IReadOnlyList<FitFailure> failures)
    {
        ArgumentNullException.ThrowIfNull(global);
        ArgumentNullException.ThrowIfNull(results);
        return results.Count == 0 ? null : WeightedMean.Compute(round, global, results);
    }

    /// <inheritdoc />
    public IReadOnlyList<NamedTensor> AggregateWeightedMean(int round, IReadOnlyList<NamedTensor> global, IReadOnlyList<NamedTensor> weightedMean) =>
        weightedMean;

    /// <inheritdoc />
    public IReadOnlyList<NamedTensor> ExportState() => [];

    /// <inheritdoc />
    public void ImportState(IReadOnlyList<NamedTensor> state) => StatelessStrategy.RequireEmpty(Name, state);
}

internal static class StatelessStrategy
{
    public static void RequireEmpty(string strategy, IReadOnlyList<NamedTensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Count != 0)
        {
            throw new FederationException(
                $"Strategy '{strategy}' keeps no server state, but the checkpoint holds {state.Count} state tensors (first '{state[0].Name}'): it was written by another strategy.");
        }
    }
}
