using PathoFed.Federation.Privacy;
using PathoFed.Federation.Strategies;

namespace PathoFed.Federation.Coordination;

/// <summary>Bytes exchanged with one site in one round (weights, updates and protocol messages; no transport overhead).</summary>
public sealed record SiteTraffic(long BytesToSite, long BytesFromSite);

/// <summary>
/// One finished round: who took part, who failed and why, the federated evaluation, the new model's hash, the traffic
/// and the privacy spent so far.
/// </summary>
/// <param name="Round">The round.</param>
/// <param name="Attempts">How many times the round was opened (abandoned attempts plus the one that finished).</param>
/// <param name="Sampled">The sites sampled in the finishing attempt.</param>
/// <param name="Contributors">The sites whose update is in the new model.</param>
/// <param name="Failures">Sampled sites that contributed nothing, and why.</param>
/// <param name="Metrics">
/// Federated evaluation: the sites' hold-out metrics of the global model they received this round (that is, of the
/// model after the previous round), averaged with each site's hold-out size as weight.
/// </param>
/// <param name="ModelSha256">SHA-256 of the new global model's safetensors bytes.</param>
/// <param name="Traffic">Bytes to and from each sampled site.</param>
/// <param name="Privacy">(ε, δ) spent after this round under differential privacy; null without.</param>
/// <param name="SecureAggregation">Whether the round was aggregated under secure aggregation.</param>
/// <param name="ClosedAt">When the round closed.</param>
public sealed record RoundRecord(
    int Round,
    int Attempts,
    IReadOnlyList<string> Sampled,
    IReadOnlyList<string> Contributors,
    IReadOnlyList<FitFailure> Failures,
    IReadOnlyDictionary<string, double> Metrics,
    string ModelSha256,
    IReadOnlyDictionary<string, SiteTraffic> Traffic,
    PrivacySpent? Privacy,
    bool SecureAggregation,
    DateTimeOffset ClosedAt);

/// <summary>Federated evaluation: per metric, the weighted mean over the sites that reported a finite value.</summary>
internal static class FederatedMetrics
{
    public static Dictionary<string, double> WeightedMean(IEnumerable<(IReadOnlyDictionary<string, double> Metrics, double FallbackWeight)> reports)
    {
        var sums = new SortedDictionary<string, (double WeightedSum, double Weight)>(StringComparer.Ordinal);
        foreach (var (metrics, fallbackWeight) in reports)
        {
            // A site's metrics describe its hold-out, so its hold-out size weighs them; older sites may not report it.
            var weight = metrics.TryGetValue(Sites.SiteTrainer.ValidationExamplesMetric, out var held) && held > 0 ? held : fallbackWeight;
            foreach (var (name, value) in metrics)
            {
                if (name == Sites.SiteTrainer.ValidationExamplesMetric || !double.IsFinite(value)) continue;
                sums.TryGetValue(name, out var sum);
                sums[name] = (sum.WeightedSum + weight * value, sum.Weight + weight);
            }
        }

        var mean = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, (weightedSum, weight)) in sums)
        {
            if (weight > 0) mean[name] = weightedSum / weight;
        }

        return mean;
    }
}
