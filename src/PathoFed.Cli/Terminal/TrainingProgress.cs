using System.Globalization;
using PathoFed.Mil.Experiments;
using Spectre.Console;

namespace PathoFed.Cli.Terminal;

/// <summary>Training progress: on a terminal a bar per fold with the latest epoch's metrics; elsewhere one line per epoch.</summary>
internal static class TrainingProgress
{
    public static async Task<T> RunAsync<T>(CliConsole console, MilExperimentOptions options, Func<IProgress<ExperimentProgress>, Task<T>> work)
    {
        string metric = options.Training.Head!.Task == PathoFed.Mil.Data.MilTask.Survival ? "C-index" : "AUC";
        if (!console.Interactive) return await work(new LineProgress(console, metric));
        T result = default!;
        await AnsiConsole.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var bars = new Dictionary<int, ProgressTask>();
                var progress = new SynchronousProgress<ExperimentProgress>(update =>
                {
                    if (!bars.TryGetValue(update.Fold, out ProgressTask? bar))
                    {
                        foreach (ProgressTask done in bars.Values) done.Value = done.MaxValue;
                        bars[update.Fold] = bar = context.AddTask(Label(update), maxValue: update.MaxEpochs);
                    }
                    bar.Value = update.Epoch.Epoch;
                    bar.Description = Markup.Escape($"{Label(update)}: {Describe(update, metric)}");
                });
                result = await work(progress);
            });
        return result;
    }

    private static string Label(ExperimentProgress p) => p.Fold == 0 ? "final model" : $"fold {p.Fold}/{p.FoldCount}";

    private static string Describe(ExperimentProgress p, string metric)
    {
        string validationLoss = p.Epoch.ValidationLoss is { } v ? string.Create(CultureInfo.InvariantCulture, $", validation loss {v:0.0000}") : "";
        string validationMetric = p.Epoch.ValidationMetric is { } m && double.IsFinite(m) ? string.Create(CultureInfo.InvariantCulture, $", validation {metric} {m:0.000}") : "";
        return string.Create(CultureInfo.InvariantCulture, $"epoch {p.Epoch.Epoch}/{p.MaxEpochs} train loss {p.Epoch.TrainLoss:0.0000}{validationLoss}{validationMetric}");
    }

    private sealed class LineProgress(CliConsole console, string metric) : IProgress<ExperimentProgress>
    {
        public void Report(ExperimentProgress value)
        {
            lock (console.Out) console.Out.WriteLine($"{Label(value)} {Describe(value, metric)}");
        }
    }
}
