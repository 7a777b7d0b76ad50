using OpenCvSharp;

namespace PathoFed.Slides.Tiling;

public enum SlideOutcomeKind
{
    Tiled,
    Skipped,
    Failed,
}

/// <summary>How one slide went. <see cref="Error"/> is one line naming the file and the cause.</summary>
public sealed record SlideOutcome(SlideSource Source, SlideOutcomeKind Kind, int Patches, string? Error, TimeSpan Elapsed);

/// <summary>Progress of a batch, reported as slides start, advance and finish.</summary>
public abstract record TilingProgress(SlideSource Source)
{
    public sealed record Started(SlideSource Source) : TilingProgress(Source);

    public sealed record Advanced(SlideSource Source, double Fraction) : TilingProgress(Source);

    public sealed record Finished(SlideOutcome Outcome) : TilingProgress(Outcome.Source);
}

public sealed record TilingJobResult(IReadOnlyList<SlideOutcome> Outcomes)
{
    public int Tiled => Outcomes.Count(o => o.Kind == SlideOutcomeKind.Tiled);
    public int Skipped => Outcomes.Count(o => o.Kind == SlideOutcomeKind.Skipped);
    public int Failed => Outcomes.Count(o => o.Kind == SlideOutcomeKind.Failed);
}

/// <summary>
/// Tiles many slides with a pool of workers. Slides whose outputs are complete for the same settings are skipped,
/// so a killed job resumes where it stopped; a slide that fails is recorded in <c>errors.csv</c> and the others
/// carry on.
/// </summary>
public sealed class TilingJob(TilingSettings settings, string outputFolder, int workers)
{
    public const string ErrorsFileName = "errors.csv";

    private readonly SlideTiler _tiler = new(settings);

    public async Task<TilingJobResult> RunAsync(IReadOnlyList<SlideSource> sources, IProgress<TilingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        Directory.CreateDirectory(outputFolder);
        var outcomes = new SlideOutcome[sources.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, sources.Count),
            new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                outcomes[i] = await TileOneAsync(sources[i], progress, token);
                progress?.Report(new TilingProgress.Finished(outcomes[i]));
            });

        WriteErrors(outcomes);
        return new TilingJobResult(outcomes);
    }

    private async Task<SlideOutcome> TileOneAsync(SlideSource source, IProgress<TilingProgress>? progress, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        string folder = Path.Combine(outputFolder, source.SlideId);
        progress?.Report(new TilingProgress.Started(source));
        try
        {
            if (_tiler.CompletedRecord(source, folder) is { } done)
            {
                return new SlideOutcome(source, SlideOutcomeKind.Skipped, done.Patches, null, started.Elapsed);
            }
            var advanced = new Progress<double>(f => progress?.Report(new TilingProgress.Advanced(source, f)));
            SlideRecord record = await Task.Run(() => _tiler.TileAsync(source, folder, advanced, cancellationToken), cancellationToken);
            return new SlideOutcome(source, SlideOutcomeKind.Tiled, record.Patches, null, started.Elapsed);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is PathoFedException or IOException or UnauthorizedAccessException or OpenCVException or ArgumentException or InvalidDataException)
        {
            RemoveIfEmpty(folder);
            return new SlideOutcome(source, SlideOutcomeKind.Failed, 0, OneLine(e, source), started.Elapsed);
        }
    }

    private static void RemoveIfEmpty(string folder)
    {
        if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
    }

    /// <summary>Our own exceptions already name the file; others get the path and the exception type added.</summary>
    private static string OneLine(Exception e, SlideSource source)
    {
        string message = e.Message.ReplaceLineEndings(" ");
        return e is PathoFedException || message.Contains(source.Path, StringComparison.Ordinal)
            ? message
            : $"'{source.Path}': {message} ({e.GetType().Name})";
    }

    private void WriteErrors(IEnumerable<SlideOutcome> outcomes)
    {
        var lines = new List<string> { "slide_id,path,error" };
        lines.AddRange(outcomes.Where(o => o.Kind == SlideOutcomeKind.Failed)
            .Select(o => Csv.FormatRow([o.Source.SlideId, o.Source.Path, o.Error ?? ""])));
        AtomicFile.WriteAllText(Path.Combine(outputFolder, ErrorsFileName), string.Join('\n', lines) + "\n");
    }
}
