using PathoFed.Cli.Terminal;
using PathoFed.Slides.Batches;
using PathoFed.Slides.Tiling;

namespace PathoFed.Cli.Commands;

/// <summary>What every per-slide verb does around its stage: progress, Ctrl+C, failures and the one-line summary.</summary>
internal static class SlideBatchRun
{
    /// <param name="verb">Progress label, e.g. "Tiling".</param>
    /// <param name="doneWord">Summary word for processed slides, e.g. "tiled".</param>
    public static async Task<int> RunAsync(
        CliConsole console, string verb, string doneWord, IReadOnlyList<SlideSource> sources, string outputFolder,
        Func<IProgress<SlideProgress>, CancellationToken, Task<SlideBatchResult>> work, CancellationToken cancellationToken)
    {
        if (sources.Count == 0)
        {
            await console.Error.WriteLineAsync("error: no slides found in the given inputs.");
            return ExitCodes.Usage;
        }

        SlideBatchResult result;
        try
        {
            result = await BatchProgress.RunAsync(console, verb, sources.Count, progress => work(progress, cancellationToken));
        }
        catch (OperationCanceledException)
        {
            await console.Error.WriteLineAsync("cancelled: completed slides are kept; run the same command again to resume.");
            return ExitCodes.Cancelled;
        }

        foreach (SlideOutcome failed in result.Outcomes.Where(o => o.Kind == SlideOutcomeKind.Failed))
        {
            await console.Error.WriteLineAsync($"FAILED {failed.Source.SlideId}: {failed.Error}");
        }
        string output = Path.GetFullPath(outputFolder);
        await console.Out.WriteLineAsync(
            $"{result.Done} {doneWord}, {result.Skipped} already done, {result.Failed} failed; {result.Patches} patches. Outputs in {output}" +
            (result.Failed > 0 ? $"; failures listed in {Path.Combine(output, SlideBatch.ErrorsFileName)}" : ""));
        return result.Failed > 0 ? ExitCodes.SomeFailed : ExitCodes.Ok;
    }
}
