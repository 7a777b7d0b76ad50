// Non-IID federated MIL diagnostics on the planted-witness cohort.
//   diag  [--alpha A] [--seed S] [--rounds R] [--lr LR] [--local-epochs E] [--mu MU] : manual FedAvg loop, per-round global test AUC,
//         site train losses, model norm, predicted-probability spread
//   overhead [--sites N] [--bags B] [--patches P] [--rounds R] [--secure] : round cost beyond local training for a 1024-input ABMIL,
//         in process vs over gRPC with mutual TLS on loopback
//   masking [--sites N] [--rounds R] : compute per secure-aggregation step (site and coordinator), no network, for a 1024-input ABMIL
//   sim   [--alpha A] [--seed S] [--strategy NAME] ... [--from-disk | --musk tools/data/musk1/clean1.data] : FederationSimulation.RunAsync
//         (the real engine) on the planted cohort (read back from disk) or on MUSK1, one line of results
using System.Globalization;
using PathoFed.Federation.Plans;
using PathoFed.Federation.Simulation;
using PathoFed.Federation.Sites;
using PathoFed.Mil.Data;
using PathoFed.Mil.Evaluation;
using PathoFed.Mil.Experiments;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Tests;
using PathoFed.Mil.Training;

var mode = args.Length > 0 ? args[0] : "diag";
string Arg(string name, string fallback) { var i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback; }
double alpha = double.Parse(Arg("--alpha", "1"), CultureInfo.InvariantCulture);
int seed = int.Parse(Arg("--seed", "1"), CultureInfo.InvariantCulture);
int dataSeed = int.Parse(Arg("--data-seed", "1"), CultureInfo.InvariantCulture);
int rounds = int.Parse(Arg("--rounds", "30"), CultureInfo.InvariantCulture);
int localEpochs = int.Parse(Arg("--local-epochs", "1"), CultureInfo.InvariantCulture);
float lr = float.Parse(Arg("--lr", "0.001"), CultureInfo.InvariantCulture);
float mu = float.Parse(Arg("--mu", "0"), CultureInfo.InvariantCulture);
string strategy = Arg("--strategy", "fedavg");
string? strategyJson = Arg("--strategy-options", "") is { Length: > 0 } s ? s : null;
var partition = Arg("--partition", "dirichlet") == "iid" ? PartitionKind.Iid : PartitionKind.Dirichlet;

if (mode == "overhead")
{
    await RoundOverhead.RunAsync(int.Parse(Arg("--sites", "3"), CultureInfo.InvariantCulture), int.Parse(Arg("--bags", "16"), CultureInfo.InvariantCulture),
        int.Parse(Arg("--patches", "1000"), CultureInfo.InvariantCulture), int.Parse(Arg("--rounds", "4"), CultureInfo.InvariantCulture), args.Contains("--secure"));
    return;
}

if (mode == "masking")
{
    MaskingSteps.Run(int.Parse(Arg("--sites", "3"), CultureInfo.InvariantCulture), int.Parse(Arg("--rounds", "5"), CultureInfo.InvariantCulture));
    return;
}

var origin = new FeatureOrigin("planted", "planted-sha", 32);
var examples = MilTestData.Examples(MilTestData.WitnessClassification(240, 32, witnessFraction: 0.08, seed: dataSeed, shift: 1.0f));
var dataset = new MilDataset(MilTask.Classify, examples, ["MSS", "MSI"], origin, []);
string[] classes = ["MSS", "MSI"];
if (args.Contains("--from-disk"))
{
    // The CLI's path: features tables and a labels CSV on disk, read back by MilDatasetLoader (classes sorted by name: MSI, MSS).
    var keep = Arg("--cohort-dir", "");
    var root = keep.Length > 0 ? keep : Path.Combine(Path.GetTempPath(), $"fedcohort-{Environment.ProcessId}");
    var files = await PathoFed.Mil.Tests.Experiments.PlantedCohort.WriteAsync(root, MilTestData.WitnessClassification(240, 32, witnessFraction: 0.08, seed: dataSeed, shift: 1.0f), MilTask.Classify);
    dataset = await MilDatasetLoader.LoadAsync(files.FeaturesDir, files.LabelsCsv, MilTask.Classify);
    if (keep.Length == 0) Directory.Delete(root, true);
    examples = [.. dataset.Examples];
    origin = dataset.Features;
    classes = [.. dataset.ClassNames];
    Console.WriteLine($"from disk: classes [{string.Join(", ", classes)}], {examples.Count} slides, origin {origin}");
}
if (Arg("--musk", "") is { Length: > 0 } muskPath)
{
    // MUSK1 (tools/data/musk1): 92 molecules of 2-40 conformations, 166 shape features. Features are standardised with the
    // mean and sd of every conformation (feature scale only, no labels; the same input for every arm).
    dataset = new MilDataset(MilTask.Classify, InstanceStandardisation.AllTogether(MuskCsv.Read(muskPath)), ["non-musk", "musk"], new FeatureOrigin("musk1", "musk1-clean1", 166), []);
    examples = [.. dataset.Examples];
    origin = dataset.Features;
    classes = [.. dataset.ClassNames];
}
var options = new SimulationOptions { Sites = 3, Partition = partition, Alpha = alpha, Rounds = rounds, LocalEpochs = localEpochs, LearningRate = lr, Seed = seed, Strategy = strategy, StrategyOptionsJson = strategyJson };

if (mode == "sim")
{
    var folder = Path.Combine(Path.GetTempPath(), $"fedsim-{Environment.ProcessId}-{Guid.NewGuid():N}");
    try
    {
        var r = await FederationSimulation.RunAsync(dataset, options, folder);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT partition={partition} alpha={alpha} seed={seed} strategy={strategy} lr={lr} E={localEpochs} R={rounds} opts={strategyJson ?? "-"} pooled={r.Pooled[MilMetrics.Auc]:F3} local={r.LocalOnlyMean[MilMetrics.Auc]:F3} federated={r.Federated[MilMetrics.Auc]:F3} sites={string.Join(" ", r.Sites.Select(x => $"{x.Labels.GetValueOrDefault(classes[0])}:{x.Labels.GetValueOrDefault(classes[1])}"))}"));
    }
    finally { Directory.Delete(folder, true); }
    return;
}

// diag: the simulation's split and site trainers, FedAvg by hand.
var split = PatientFolds.SplitForValidation(examples, MilTask.Classify, [.. Enumerable.Range(0, examples.Count)], 0.25, seed);
MilExample[] test = [.. split.ValidationIndices.Select(i => examples[i])];
MilExample[] training = [.. split.TrainIndices.Select(i => examples[i])];
var plan = new FederationPlan
{
    Name = "diag", Head = MilHeadKind.Abmil, Task = MilTask.Classify, Classes = classes, ExtractorId = origin.ExtractorId,
    ExtractorSha256 = origin.ExtractorSha256, EmbeddingDim = origin.EmbeddingDim, EncoderDim = 128, AttentionDim = 64, Dropout = 0.1f, Rounds = rounds,
    LocalEpochs = localEpochs, BagsPerStep = 8, LearningRate = lr, WeightDecay = 1e-4f, MinSites = 3, Seed = seed,
}.Validate();
var parts = PatientPartition.Split(training, MilTask.Classify, 3, partition, alpha, seed);
var trainers = parts.Select((p, i) => new SiteTrainer($"site-{i + 1}", dataset with { Examples = p }, plan)).ToArray();
for (var i = 0; i < parts.Length; i++)
    Console.WriteLine($"site-{i + 1}: {parts[i].Count(e => e.Target.ClassIndex == 0)} {classes[0]} : {parts[i].Count(e => e.Target.ClassIndex == 1)} {classes[1]}; train {trainers[i].TrainingExamples} val {trainers[i].ValidationExamples}");
var head = MilHeads.Create(plan.HeadConfig(), plan.Seed);
var global = head.GetParameters();
(double Auc, double Mean, double Sd, double Norm) Score(IReadOnlyList<NamedTensor> parameters)
{
    var h = MilHeads.Create(plan.HeadConfig(), plan.Seed);
    h.SetParameters(parameters);
    var preds = test.Select(e => new OutOfFoldPrediction(0, e, MilTrainer.Predict(h, e.Bag))).ToArray();
    var auc = MilMetrics.Compute(dataset with { Examples = test }, preds)[MilMetrics.Auc];
    var p1 = preds.Select(p => (double)p.Prediction.Probabilities[1]).ToArray();
    var mean = p1.Average();
    var sd = Math.Sqrt(p1.Sum(v => (v - mean) * (v - mean)) / p1.Length);
    var norm = Math.Sqrt(parameters.Sum(t => t.Values.Sum(v => (double)v * v)));
    return (auc, mean, sd, norm);
}
var s0 = Score(global);
Console.WriteLine(FormattableString.Invariant($"round 0: test AUC {s0.Auc:F3} p(class1) {s0.Mean:F3}±{s0.Sd:F3} norm {s0.Norm:F2}"));
for (var round = 1; round <= rounds; round++)
{
    var results = trainers.Select(t => t.RunRound(round, global, mu, CancellationToken.None)).ToArray();
    long total = results.Sum(r => (long)r.ExampleCount);
    var next = new NamedTensor[global.Count];
    for (var t = 0; t < global.Count; t++)
    {
        var acc = new float[global[t].Values.Length];
        foreach (var r in results)
        {
            var w = (float)((double)r.ExampleCount / total);
            for (var k = 0; k < acc.Length; k++) acc[k] += w * r.Parameters[t].Values[k];
        }
        next[t] = global[t] with { Values = acc };
    }
    var siteScores = results.Select(r => Score(r.Parameters)).ToArray();
    global = next;
    var g = Score(global);
    Console.WriteLine(FormattableString.Invariant(
        $"round {round}: test AUC {g.Auc:F3} p(class1) {g.Mean:F3}±{g.Sd:F3} norm {g.Norm:F2} | sites train loss {string.Join(" ", results.Select(r => r.Metrics[SiteTrainer.TrainLossMetric].ToString("F3", CultureInfo.InvariantCulture)))} | local AUC {string.Join(" ", siteScores.Select(x => x.Auc.ToString("F3", CultureInfo.InvariantCulture)))} p {string.Join(" ", siteScores.Select(x => x.Mean.ToString("F2", CultureInfo.InvariantCulture)))}"));
}
