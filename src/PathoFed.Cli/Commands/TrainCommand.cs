using System.CommandLine;
using System.Globalization;
using PathoFed.Cli.Terminal;
using PathoFed.Mil;
using PathoFed.Mil.Data;
using PathoFed.Mil.Experiments;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Models;
using PathoFed.Mil.Training;

namespace PathoFed.Cli.Commands;

/// <summary><c>pathofed train</c>: cross-validate a MIL head on slide embeddings, then write the model folder.</summary>
internal static class TrainCommand
{
    public static Command Create(CliConsole console)
    {
        var data = new SharedOptions.MilData();
        var head = new Option<MilHeadKind>("--head") { Description = "abmil, chowder or meanpool.", DefaultValueFactory = _ => MilHeadKind.Abmil };
        var folds = new Option<int>("--folds") { Description = "Patient-level cross-validation folds (1 = train only).", DefaultValueFactory = _ => 5 };
        var output = new Option<string>("--out", "-o") { Description = "Model folder to write.", Required = true };
        var hyper = new SharedOptions.MilTraining();

        var command = new Command("train", "Train a MIL head on bags of patch embeddings: patient-level stratified k-fold cross-validation " +
            "(metrics per fold, mean ± sd, bootstrap 95% CI), then the final model on every slide, written as a model folder.");
        data.AddTo(command);
        foreach (Option option in new Option[] { head, folds, output }) command.Add(option);
        hyper.AddTo(command);

        command.SetAction(async (parse, cancellationToken) =>
        {
            MilDataset dataset;
            MilExperimentOptions options;
            try
            {
                options = new MilExperimentOptions
                {
                    Training = hyper.Bind(parse, parse.GetValue(head), parse.GetValue(data.Task)),
                    Folds = parse.GetValue(folds),
                }.Validate();
                dataset = await data.LoadAsync(parse, cancellationToken);
            }
            catch (Exception e) when (e is MilException or ArgumentException)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }

            foreach (SkippedSlide skipped in dataset.Skipped) await console.Error.WriteLineAsync($"skipped {skipped.SlideId}: {skipped.Reason}");
            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{dataset.Examples.Count} slides of {dataset.Examples.Select(e => e.PatientId).Distinct().Count()} patients, {dataset.EmbeddingDim}-d features from {dataset.ExtractorId}; " +
                $"{parse.GetValue(head).ToString().ToLowerInvariant()} head, {options.Folds} fold(s)"));

            MilExperimentResult result;
            try
            {
                result = await TrainingProgress.RunAsync(console, options, progress => Task.Run(() => MilCrossValidation.Run(dataset, options, progress, cancellationToken), cancellationToken));
            }
            catch (MilException e)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }
            catch (OperationCanceledException)
            {
                await console.Error.WriteLineAsync("cancelled: no model was written.");
                return ExitCodes.Cancelled;
            }

            string folder = parse.GetValue(output)!;
            MilModelFolder.Write(folder, result.Model);
            await PrintSummaryAsync(console, result.Model.Summary!, Path.GetFullPath(folder));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task PrintSummaryAsync(CliConsole console, MilTrainingSummary summary, string folder)
    {
        foreach (FoldSummary fold in summary.Folds)
        {
            string metrics = string.Join(", ", fold.Metrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key} {m.Value:0.000}")));
            await console.Out.WriteLineAsync($"fold {fold.Fold}: {fold.TrainSlides} train / {fold.ValidationSlides} validation / {fold.TestSlides} test slides, {fold.Epochs} epochs: {metrics}");
        }
        foreach ((string metric, var across) in summary.AcrossFolds)
        {
            string interval = summary.ConfidenceIntervals.TryGetValue(metric, out var ci)
                ? string.Create(CultureInfo.InvariantCulture, $"; pooled out-of-fold {ci.Estimate:0.000} (95% CI {ci.Lower:0.000}-{ci.Upper:0.000})")
                : "";
            await console.Out.WriteLineAsync($"{metric}: {across} across folds{interval}");
        }
        await console.Out.WriteLineAsync($"Final model trained for {summary.FinalEpochs} epochs on every slide. Model folder: {folder}");
    }
}
