using System.CommandLine;
using System.Globalization;
using PathoFed.Federation;
using PathoFed.Federation.Simulation;
using PathoFed.Federation.Strategies;
using PathoFed.Mil;
using PathoFed.Mil.Data;
using PathoFed.Mil.Heads;

namespace PathoFed.Cli.Commands.Fed;

/// <summary>
/// <c>pathofed fed simulate</c>: splits one cohort by patient into simulated sites and a held-out test set, then compares
/// pooled, local-only and federated training on that test set.
/// </summary>
internal static class FedSimulateCommand
{
    public static Command Create(CliConsole console)
    {
        var defaults = new SimulationOptions();
        var data = new SharedOptions.MilData();
        var sites = new Option<int>("--sites") { Description = "Simulated sites.", DefaultValueFactory = _ => defaults.Sites };
        var partition = new Option<PartitionKind>("--partition") { Description = "iid (same label mix everywhere) or dirichlet (label skew).", DefaultValueFactory = _ => defaults.Partition };
        var alpha = new Option<double>("--alpha") { Description = "Dirichlet concentration: smaller, more skewed sites.", DefaultValueFactory = _ => defaults.Alpha };
        var rounds = new Option<int>("--rounds") { Description = "Federated rounds (pooled and local-only training get rounds x local epochs epochs).", DefaultValueFactory = _ => defaults.Rounds };
        var localEpochs = new Option<int>("--local-epochs") { Description = "Epochs each site trains per round.", DefaultValueFactory = _ => defaults.LocalEpochs };
        var strategy = new Option<string>("--strategy") { Description = $"Aggregation: {string.Join(", ", AggregationStrategyFactory.Names)}.", DefaultValueFactory = _ => defaults.Strategy };
        strategy.AcceptOnlyFromAmong([.. AggregationStrategyFactory.Names]);
        var strategyOptions = new Option<string?>("--strategy-options")
        {
            Description = "The strategy's options as JSON, as in a plan's strategy_options, e.g. '{\"proximal_mu\": 0.1}' or '{\"server_learning_rate\": 0.03}' " +
                "(the sites' learning rate and local epochs come from --lr and --local-epochs).",
        };
        var secure = new Option<bool>("--secure-aggregation") { Description = "Pairwise-masked aggregation: the coordinator learns only the sum of the updates." };
        var dpNoise = new Option<double?>("--dp-noise") { Description = "Differential privacy: noise multiplier σ (sites clip and noise their updates)." };
        var dpClip = new Option<double>("--dp-clip") { Description = "Differential privacy: L2 clip norm C of each update.", DefaultValueFactory = _ => defaults.DpClipNorm };
        var head = new Option<MilHeadKind>("--head") { Description = "abmil, chowder or meanpool.", DefaultValueFactory = _ => defaults.Head };
        var learningRate = new Option<float>("--lr") { Description = "AdamW learning rate (every arm).", DefaultValueFactory = _ => defaults.LearningRate };
        var noBalance = new Option<bool>("--no-class-balance") { Description = "Plain cross-entropy at each site (default: each site weighs classes by inverse local frequency)." };
        var freshOptimizer = new Option<bool>("--fresh-local-optimizer") { Description = "A fresh AdamW at each site every round (default: each site keeps its AdamW moments across rounds)." };
        var seed = new Option<int>("--seed") { Description = "Seed for the split, initialisation and shuffling.", DefaultValueFactory = _ => defaults.Seed };
        var output = new Option<string>("--out", "-o") { Description = "Folder for results.json, the coordinator's state and the sites' audit logs.", Required = true };

        var command = new Command("simulate", "Simulate a federation on one cohort: patients split into sites and a 25% test set; pooled vs local-only vs " +
            "federated test metrics side by side, with the bytes each site exchanged per round.");
        data.AddTo(command);
        foreach (Option option in new Option[] { sites, partition, alpha, rounds, localEpochs, strategy, strategyOptions, secure, dpNoise, dpClip, head, learningRate, noBalance, freshOptimizer, seed, output })
        {
            command.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            SimulationOptions options;
            MilDataset dataset;
            try
            {
                options = new SimulationOptions
                {
                    Sites = parse.GetValue(sites),
                    Partition = parse.GetValue(partition),
                    Alpha = parse.GetValue(alpha),
                    Rounds = parse.GetValue(rounds),
                    LocalEpochs = parse.GetValue(localEpochs),
                    Strategy = parse.GetValue(strategy)!,
                    StrategyOptionsJson = parse.GetValue(strategyOptions),
                    SecureAggregation = parse.GetValue(secure),
                    DpNoiseMultiplier = parse.GetValue(dpNoise),
                    DpClipNorm = parse.GetValue(dpClip),
                    Head = parse.GetValue(head),
                    LearningRate = parse.GetValue(learningRate),
                    BalanceLocalClasses = !parse.GetValue(noBalance),
                    KeepLocalOptimizerState = !parse.GetValue(freshOptimizer),
                    Seed = parse.GetValue(seed),
                }.Validate();
                // A typo in the options fails here, before any training, not after the pooled and local-only arms.
                AggregationStrategyFactory.Create(options.Strategy, options.StrategyOptionsJson);
                dataset = await data.LoadAsync(parse, cancellationToken);
            }
            catch (Exception e) when (e is MilException or ArgumentException or FederationException)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }

            foreach (var skipped in dataset.Skipped) await console.Error.WriteLineAsync($"skipped {skipped.SlideId}: {skipped.Reason}");
            SimulationResult result;
            try
            {
                var progress = new LineProgress(console);
                result = await FederationSimulation.RunAsync(dataset, options, parse.GetValue(output)!, progress, cancellationToken);
            }
            catch (Exception e) when (e is FederationException or MilException or ArgumentException)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }
            catch (OperationCanceledException)
            {
                await console.Error.WriteLineAsync("cancelled.");
                return ExitCodes.Cancelled;
            }

            await console.Out.WriteLineAsync(FormatTable(result));
            await console.Out.WriteLineAsync($"Results: {Path.GetFullPath(Path.Combine(parse.GetValue(output)!, SimulationResult.FileName))}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Test metrics of the three arms side by side, then the traffic and privacy of the federated one.</summary>
    internal static string FormatTable(SimulationResult result)
    {
        var metrics = result.Pooled.Keys.Union(result.Federated.Keys).Order(StringComparer.Ordinal).ToArray();
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"test set: {result.TestPatients} patients, {result.TestSlides} slides"),
            string.Create(CultureInfo.InvariantCulture, $"{"metric",-18} {"pooled",8} {"local-only",11} {"federated",10}"),
        };
        foreach (var metric in metrics)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{metric,-18} {Cell(result.Pooled, metric),8} {Cell(result.LocalOnlyMean, metric),11} {Cell(result.Federated, metric),10}"));
        }

        lines.Add(string.Create(CultureInfo.InvariantCulture,
            $"bytes per round per site: {result.MeanBytesToSitePerRound:0} to the site, {result.MeanBytesFromSitePerRound:0} from it"));
        if (result.Privacy is { } privacy)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"privacy spent: ε = {privacy.Epsilon:0.###} at δ = {privacy.Delta:G3}"));
        }

        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>Writes each progress line at once, in order (Progress&lt;T&gt; would post them to the thread pool).</summary>
    private sealed class LineProgress(CliConsole console) : IProgress<string>
    {
        public void Report(string value) => console.Out.WriteLine(value);
    }

    private static string Cell(IReadOnlyDictionary<string, double> metrics, string name) =>
        metrics.TryGetValue(name, out var value) ? value.ToString("0.000", CultureInfo.InvariantCulture) : "-";
}
