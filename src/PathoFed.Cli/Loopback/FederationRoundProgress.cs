using System.Globalization;
using System.Text.RegularExpressions;
using PathoFed.Federation.Coordination;
using PathoFed.Federation.Plans;

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

    /// <summary><c>fed serve</c>'s first line, once it listens; <see cref="Parse"/> reads the round it resumes after.</summary>
    public static string FormatStart(string listenAddress, int port, FederationPlan plan, int lastFinishedRound) =>
        string.Create(CultureInfo.InvariantCulture,
            $"Coordinator listening on {listenAddress}:{port}; {plan.Rounds} rounds of {plan.Head} ({plan.Strategy}), resuming after round {lastFinishedRound}; waiting for {plan.MinSites} site(s).");

    /// <summary>
    /// <c>fed serve</c>'s line for a finished round, e.g. "round 3/3: 3 of 3 sites (failures), securely aggregated; auc 0.9,
    /// train_loss 0.4; privacy spent ε 1.2 at δ 1E-05; model 0123456789ab"; <see cref="Parse"/> reads it back.
    /// </summary>
    public static string FormatRound(RoundRecord round, int rounds)
    {
        string metrics = string.Join(", ", round.Metrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key} {m.Value:0.###}")));
        string privacy = round.Privacy is { } p ? string.Create(CultureInfo.InvariantCulture, $"; privacy spent ε {p.Epsilon:0.##} at δ {p.Delta:G2}") : "";
        return $"round {round.Round}/{rounds}: {round.Contributors.Count} of {round.Sampled.Count} sites" +
            (round.Failures.Count > 0 ? $" ({string.Join(", ", round.Failures.Select(f => $"{f.Site}: {f.Reason}"))})" : "") +
            $"{(round.SecureAggregation ? ", securely aggregated" : "")}; {metrics}{privacy}; model {round.ModelSha256[..12]}";
    }

    /// <summary>Reads one line of <c>fed serve</c>'s output: a finished round (<see cref="FormatRound"/>), or the start (<see cref="FormatStart"/>); null for any other line.</summary>
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
