using PathoFed.Mil.Data;

namespace PathoFed.Federation.Strategies;

/// <summary>
/// FedProx (Li et al. 2020): sites add mu/2·‖w − w_global‖² to their loss, which keeps heterogeneous sites from
/// drifting; the server aggregates exactly like FedAvg.
/// </summary>
public sealed class FedProxStrategy : IAggregationStrategy
{
    private readonly FedProxOptions _options;
    private readonly FedAvgStrategy _averaging;

    /// <summary>Creates the strategy; options are validated here.</summary>
    public FedProxStrategy(FedProxOptions options)
    {
        _options = options.Validate();
        _averaging = new FedAvgStrategy(new FedAvgOptions { LocalEpochs = options.LocalEpochs, LearningRate = options.LearningRate });
    }

    /// <inheritdoc />
    public string Name => AggregationStrategyFactory.FedProx;

    /// <inheritdoc />
    public FitConfig ConfigureFit(int round) => _averaging.ConfigureFit(round) with { ProximalMu = _options.ProximalMu };

    /// <inheritdoc />
    public IReadOnlyList<NamedTensor>? AggregateFit(
        int round, IReadOnlyList<NamedTensor> global, IReadOnlyList<FitResult> results, IReadOnlyList<FitFailure> failures) =>
        _averaging.AggregateFit(round, global, results, failures);

    /// <inheritdoc />
    public IReadOnlyList<NamedTensor> AggregateWeightedMean(int round, IReadOnlyList<NamedTensor> global, IReadOnlyList<NamedTensor> weightedMean) =>
        weightedMean;

    /// <inheritdoc />
    public IReadOnlyList<NamedTensor> ExportState() => [];

    /// <inheritdoc />
    public void ImportState(IReadOnlyList<NamedTensor> state) => StatelessStrategy.RequireEmpty(Name, state);
}
