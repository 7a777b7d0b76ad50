using OpenCvSharp;
using PathoFed.Slides.Tiling;

namespace PathoFed.Slides.Batches;

public enum SlideOutcomeKind
{
    /// <summary>The slide was processed in this run.</summary>
    Done,

    /// <summary>Complete outputs for the same settings were already there (a resumed run).</summary>
    Skipped,

    Failed,
}

/// <summary>How one slide went. <see cref="Error"/> is one line naming the file and the cause.</summary>
public sealed record SlideOutcome(SlideSource Source, SlideOutcomeKind Kind, int Patches, string? Error, TimeSpan Elapsed, string? Detail = null);

/// <summary>What a stage reports for one slide it did not fail on.</summary>
public sealed record SlideWork(SlideOutcomeKind Kind, int Patches, string? Detail = null)
{
    public static SlideWork Done(int patches, string? detail = null) => new(SlideOutcomeKind.Done, patches, detail);

    public static SlideWork Skipped(int patches) => new(SlideOutcomeKind.Skipped, patches);
}

/// <summary>Progress of a batch, reported as slides start, advance and finish.</summary>
public abstract record SlideProgress(SlideSource Source)
{
    public sealed record Started(SlideSource Source) : SlideProgress(Source);

    /// <summary><see cref="Detail"/> is a short live figure such as a throughput.</summary>
    public sealed record Advanced(SlideSource Source, double Fraction, string? Detail = null) : SlideProgress(Source);

    public sealed record Finished(SlideOutcome Outcome) : SlideProgress(Outcome.Source);
}

public sealed record SlideBatchResult(IReadOnlyList<SlideOutcome> Outcomes)
{
    public int Done => Outcomes.Count(o => o.Kind == SlideOutcomeKind.Done);
    public int Skipped => Outcomes.Count(o => o.Kind == SlideOutcomeKind.Skipped);
    public int Failed => Outcomes.Count(o => o.Kind == SlideOutcomeKind.Failed);
    public long Patches => Outcomes.Sum(o => (long)o.Patches);
}

/// <summary>Progress of one slide inside a batch: a fraction done and an optional live figure.</summary>
public interface ISlideStageProgress
{
    void Report(double fraction, string? detail = null);
}

/// <summary>A slide's stage progress reported as <see cref="SlideProgress.Advanced"/> events of its batch.</summary>
public sealed class SlideStageProgress(SlideSource source, IProgress<SlideProgress>? progress) : ISlideStageProgress
{
    public void Report(double fraction, string? detail = null) => progress?.Report(new SlideProgress.Advanced(source, fraction, detail));
}

/// <summary>
/// A step's own 0-1 progress shown as the span <paramref name="from"/>-<paramref name="to"/> of its slide's progress
/// (tiling is all of a tile job, the first tenth of an embedding job), reported at once on the caller's thread.
/// </summary>
public sealed class SlideStepProgress(ISlideStageProgress stage, double from = 0, double to = 1) : IProgress<double>
{
    public void Report(double value) => stage.Report(from + (to - from) * value);
}

/// <summary>
/// Runs one stage (tiling, embedding...) over many slides with a pool of workers, each slide in its own output
/// sub-folder. A slide that fails is recorded in <c>errors.csv</c> and the others carry on; the stage itself decides
/// when a slide is already complete, so a killed job resumes where it stopped.
/// </summary>
public sealed class SlideBatch(string outputFolder, int workers)
{
    public const string ErrorsFileName = "errors.csv";

    /// <summary>
    /// Processes every slide with <paramref name="stage"/> (source, slide folder, progress, cancellation).
    /// Expected failures (our own exceptions, I/O, OpenCV, bad data) become failed outcomes; cancellation propagates.
    /// </summary>
    public async Task<SlideBatchResult> RunAsync(
        IReadOnlyList<SlideSource> sources,
        Func<SlideSource, string, ISlideStageProgress, CancellationToken, Task<SlideWork>> stage,
        IProgress<SlideProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        Directory.CreateDirectory(outputFolder);
        var outcomes = new SlideOutcome[sources.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, sources.Count),
            new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                outcomes[i] = await RunOneAsync(sources[i], stage, progress, token);
                progress?.Report(new SlideProgress.Finished(outcomes[i]));
            });

        WriteBatchErrors(outcomes);
        return new SlideBatchResult(outcomes);
    }

    private async Task<SlideOutcome> RunOneAsync(
        SlideSource source,
        Func<SlideSource, string, ISlideStageProgress, CancellationToken, Task<SlideWork>> stage,
        IProgress<SlideProgress>? progress,
        CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        string folder = Path.Combine(outputFolder, source.SlideId);
        progress?.Report(new SlideProgress.Started(source));
        try
        {
            var stageProgress = new SlideStageProgress(source, progress);
            SlideWork work = await Task.Run(() => stage(source, folder, stageProgress, cancellationToken), cancellationToken);
            return new SlideOutcome(source, work.Kind, work.Patches, null, started.Elapsed, work.Detail);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (IsSlideFailure(e))
        {
            RemoveIfEmpty(folder);
            return new SlideOutcome(source, SlideOutcomeKind.Failed, 0, Describe(e, source), started.Elapsed);
        }
    }

    /// <summary>
    /// Failures that belong to one slide (our own exceptions, I/O, OpenCV, bad data): recorded, and the batch carries on.
    /// Anything else is a bug or a cancellation and stops the batch.
    /// </summary>
    public static bool IsSlideFailure(Exception e) =>
        e is PathoFedException or IOException or UnauthorizedAccessException or OpenCVException or ArgumentException or InvalidDataException;

    /// <summary>One line for errors.csv: our own exceptions already name the file; others get the path and the exception type added.</summary>
    public static string Describe(Exception e, SlideSource source)
    {
        string message = e.Message.ReplaceLineEndings(" ");
        return e is PathoFedException || message.Contains(source.Path, StringComparison.Ordinal)
            ? message
            : $"'{source.Path}': {message} ({e.GetType().Name})";
    }

    /// <summary>Writes <c>errors.csv</c> (slide_id, path, error) atomically; a header alone when nothing failed.</summary>
    public static void WriteErrors(string path, IEnumerable<(SlideSource Source, string Error)> failures)
    {
        var lines = new List<string> { "slide_id,path,error" };
        lines.AddRange(failures.Select(f => Csv.FormatRow([f.Source.SlideId, f.Source.Path, f.Error])));
        AtomicFile.WriteAllText(path, string.Join('\n', lines) + "\n");
    }

    private static void RemoveIfEmpty(string folder)
    {
        if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
    }

    private void WriteBatchErrors(IEnumerable<SlideOutcome> outcomes) =>
        WriteErrors(Path.Combine(outputFolder, ErrorsFileName),
            outcomes.Where(o => o.Kind == SlideOutcomeKind.Failed).Select(o => (o.Source, o.Error ?? "")));
}
