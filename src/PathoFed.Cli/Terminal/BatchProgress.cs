using System.Collections.Concurrent;
using PathoFed.Slides.Batches;
using Spectre.Console;

namespace PathoFed.Cli.Terminal;

/// <summary>
/// Shows a batch's progress: on a terminal, a bar per running slide and one overall; elsewhere (logs, CI, tests)
/// one plain line per finished slide, so that output stays readable when captured.
/// </summary>
internal static class BatchProgress
{
    public static Task<T> RunAsync<T>(CliConsole console, string verb, int total, Func<IProgress<SlideProgress>, Task<T>> work) =>
        console.Interactive ? RunWithBarsAsync(verb, total, work) : work(new LineProgress(console, verb, total));

    private static async Task<T> RunWithBarsAsync<T>(string verb, int total, Func<IProgress<SlideProgress>, Task<T>> work)
    {
        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                ProgressTask overall = context.AddTask($"{verb} {total} slides", maxValue: total);
                var perSlide = new ConcurrentDictionary<string, ProgressTask>();
                var progress = new SynchronousProgress<SlideProgress>(update =>
                {
                    switch (update)
                    {
                        case SlideProgress.Started started:
                            perSlide[started.Source.SlideId] = context.AddTask(Markup.Escape(started.Source.SlideId), maxValue: 1);
                            break;
                        case SlideProgress.Advanced advanced when perSlide.TryGetValue(advanced.Source.SlideId, out ProgressTask? task):
                            task.Value = advanced.Fraction;
                            if (advanced.Detail is not null) task.Description = Markup.Escape($"{advanced.Source.SlideId} {advanced.Detail}");
                            break;
                        case SlideProgress.Finished finished:
                            if (perSlide.TryRemove(finished.Source.SlideId, out ProgressTask? done)) done.StopTask();
                            overall.Increment(1);
                            break;
                    }
                });
                result = await work(progress);
            });
        return result;
    }

    /// <summary>Plain, greppable progress lines.</summary>
    private sealed class LineProgress(CliConsole console, string verb, int total) : IProgress<SlideProgress>
    {
        private int _finished;

        public void Report(SlideProgress value)
        {
            if (value is not SlideProgress.Finished { Outcome: var outcome }) return;
            int n = Interlocked.Increment(ref _finished);
            string what = outcome.Kind switch
            {
                SlideOutcomeKind.Done => $"{outcome.Patches} patches{(outcome.Detail is null ? "" : ", " + outcome.Detail)}",
                SlideOutcomeKind.Skipped => $"already done ({outcome.Patches} patches)",
                _ => "FAILED",
            };
            lock (console.Out) console.Out.WriteLine($"[{n}/{total}] {verb} {outcome.Source.SlideId}: {what} in {outcome.Elapsed.TotalSeconds:0.0} s");
        }
    }
}
