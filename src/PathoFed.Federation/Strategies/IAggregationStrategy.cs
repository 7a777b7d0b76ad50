using PathoFed.Mil.Data;

namespace PathoFed.Federation.Strategies;

/// <summary>
/// How a round is configured and how site results become the next global model (Flower's <c>Strategy</c>:
/// <c>configure_fit</c>/<c>aggregate_fit</c>). Implementations are transport-free; their server state, if any, is
/// exported as tensors so a coordinator can checkpoint it next to the model.
/// </summary>
public interface IAggregationStrategy
{
    /// <summary>The factory name ("fedavg", "fedprox", "fedadam", "fedyogi").</summary>
    string Name { get; }

    /// <summary>The instructions sent to every sampled site for <paramref name="round"/>.</summary>
    FitConfig ConfigureFit(int round);

    /// <summary>
    /// The next global parameters from the round's results, or null to keep the model (no results). Results must be
    /// validated first; a result whose layout differs from <paramref name="global"/> still throws.
    /// </summary>
    /// <exception cref="Updates.InvalidSiteUpdateException">A result's layout differs from the global model's, or its example count is not positive.</exception>
    IReadOnlyList<NamedTensor>? AggregateFit(
        int round, IReadOnlyList<NamedTensor> global, IReadOnlyList<FitResult> results, IReadOnlyList<FitFailure> failures);

    /// <summary>
    /// The next global parameters from the example-weighted mean of the sites' local parameters when only that mean is
    /// known (secure aggregation reveals the weighted sum, not the individual results).
    /// </summary>
    IReadOnlyList<NamedTensor> AggregateWeightedMean(int round, IReadOnlyList<NamedTensor> global, IReadOnlyList<NamedTensor> weightedMean);

    /// <summary>The server state (e.g. FedAdam's moments) as tensors; empty for stateless strategies.</summary>
    IReadOnlyList<NamedTensor> ExportState();

    /// <summary>Restores state written by <see cref="ExportState"/>.</summary>
    /// <exception cref="FederationException">The state was written by another strategy or is malformed.</exception>
    void ImportState(IReadOnlyList<NamedTensor> state);
}
