using System.Globalization;
using System.Text.RegularExpressions;

namespace PathoFed.Cli.Loopback;

/// <summary>
/// Where a loopback federation stands, as the coordinator printed it: after <see cref="Round"/> of <see cref="Rounds"/>
/// rounds, <see cref="Contributors"/> of the <see cref="Sampled"/> sites sampled sent an update, and the federated
/// validation metrics of the model the sites received that round. Round 0 (or the round resumed after) is reported
/// once the coordinator listens, with no sites and no metrics.
/// </summary>
/// <param name="Round">Rounds finished.</param>
/// <param name="Rounds">Rounds in the plan.</param>
/// <param name="Contributors">Sites whose update is in the round's model.</param>
/// <param name="Sampled">Sites sampled for the round.</param>
/// <param name="Metrics">By metric name, as printed (3 decimals): the task's metrics on the sites' hold-out patients (auc, balanced_accuracy, f1; c_index for survival) and train_loss.</param>
/// <param name="Failures">The coordinator's words on sampled sites that sent nothing ("hospital-c: no valid update by the deadline"), or null.</param>
internal sealed partial record FederationRoundProgress(
    int Round, int Rounds, int Contributors, int Sampled, IReadOnlyDictionary<string, double> Metrics, string? Failures)
{
    /// <summary>The local training loss in the round, averaged over the contributing sites, when they reported one.</summary>
    public double? TrainLoss => Metrics.TryGetValue(PathoFed.Federation.Sites.SiteTrainer.TrainLossMetric, out double loss) ? loss : null;

    /// <summary>Reads one line of <c>fed serve</c>'s output: a finished round, or the start ("resuming after round K"); null for any other line.</summary>
    /// <remarks>Mirrors the format FedServeCommand writes: "round 3/3: 3 of 3 sites (failures), securely aggregated; auroc 0.9, validation_loss 0.4; privacy ...; model 0123456789ab".</remarks>
    public static FederationRoundProgress? Parse(string line)
    {
        Match round = RoundLine().Match(line);
        if (round.Success)
        {
            return new FederationRoundProgress(Int(round, "round"), Int(round, "rounds"), Int(round, "contributors"), Int(round, "sampled"),
                MetricsOf(round.Groups["rest"].Value), round.Groups["failures"].Success ? round.Groups["failures"].Value : null);
        }
        Match start = StartLine().Match(line);
        return start.Success ? new FederationRoundProgress(Int(start, "done"), Int(start, "rounds"), 0, 0, new Dictionary<string, double>(), null) : null;
    }

    // The metrics are the one "; "-separated part that is a list of "name value" pairs (failure reasons are free text).
    private static Dictionary<string, double> MetricsOf(string rest)
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string part in rest.Split("; "))
        {
            if (!MetricList().IsMatch(part)) continue;
            foreach (Match metric in Metric().Matches(part))
                metrics[metric.Groups["name"].Value] = double.Parse(metric.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return metrics;
    }

    private static int Int(Match match, string group) => int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^round (?<round>\d+)/(?<rounds>\d+): (?<contributors>\d+) of (?<sampled>\d+) sites(?: \((?<failures>.*)\))?(?<rest>.*); model [0-9a-f]+$")]
    private static partial Regex RoundLine();

    [GeneratedRegex(@"^Coordinator listening on \S+; (?<rounds>\d+) rounds of .*resuming after round (?<done>\d+);")]
    private static partial Regex StartLine();

    [GeneratedRegex(@"^[A-Za-z0-9_]+ -?(?:[0-9.]+|NaN|Infinity)(?:, [A-Za-z0-9_]+ -?(?:[0-9.]+|NaN|Infinity))*$")]
    private static partial Regex MetricList();

    [GeneratedRegex(@"(?<name>[A-Za-z0-9_]+) (?<value>-?(?:[0-9.]+|NaN|Infinity))")]
    private static partial Regex Metric();
}
