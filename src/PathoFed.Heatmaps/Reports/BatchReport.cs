using PathoFed.Mil.Data;

namespace PathoFed.Heatmaps.Reports;

/// <summary>
/// <c>report.html</c>, the page a batch run (<c>pathofed run</c>) ends with: one self-contained file a pathologist opens
/// offline. The run's header and a research-use disclaimer, accuracy/AUC and a confusion table when labels are known, a
/// sortable score table ranked by the positive class's probability (or the risk) with failed and skipped slides and their
/// reasons, and a card per slide with small JPEG thumbnails of its overlay and gallery embedded as data URIs, linking to the
/// full-size files by relative path. No network, no external script or style: a Content-Security-Policy forbids both.
/// </summary>
public static class BatchReport
{
    public const string FileName = "report.html";

    /// <summary>Writes <c>report.html</c> into <paramref name="reportFolder"/> (created when missing), atomically.</summary>
    /// <param name="reportFolder">The folder of the report; relative heatmap paths resolve against it.</param>
    /// <param name="run">What was run.</param>
    /// <param name="slides">Every slide of the run, in any order: the report ranks them.</param>
    /// <param name="options">Thumbnail sizes and quality; null takes the defaults.</param>
    /// <param name="cancellationToken">Checked per slide; a cancelled write leaves no file behind.</param>
    /// <exception cref="ArgumentException">The run or a slide is inconsistent (a duplicate id, probabilities that do not match the
    /// classes, a failed slide without a reason...); the message names the slide and the values.</exception>
    /// <exception cref="IOException">The report cannot be written.</exception>
    public static BatchReportResult Write(string reportFolder, BatchReportRun run, IReadOnlyList<BatchReportSlide> slides,
        BatchReportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reportFolder);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(slides);
        options = (options ?? new BatchReportOptions()).Validate();
        Validate(run);
        Validate(run, slides);

        IReadOnlyList<BatchReportSlide> ranked = Rank(run, slides);
        BatchReportMetrics? metrics = ReportMetrics.Compute(run, ranked);
        string folder = Path.GetFullPath(reportFolder);
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, FileName);

        int images = 0;
        AtomicFile.Write(path, stream =>
        {
            // UTF-8 without a byte-order mark, as the page's <meta charset> declares.
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 64 * 1024, leaveOpen: true);
            images = new ReportPage(writer, folder, run, ranked, metrics, options).Write(cancellationToken);
        });

        return new BatchReportResult(path, new FileInfo(path).Length,
            Count(slides, SlideReportStatus.Scored), Count(slides, SlideReportStatus.Failed), Count(slides, SlideReportStatus.Skipped),
            images, metrics);
    }

    /// <summary>
    /// The table's default order: scored slides by the ranking value (positive class probability or risk), highest first,
    /// ties by id; then failed, then skipped slides, each by id.
    /// </summary>
    internal static IReadOnlyList<BatchReportSlide> Rank(BatchReportRun run, IReadOnlyList<BatchReportSlide> slides)
    {
        BatchReportSlide[] ordered = [.. slides];
        Array.Sort(ordered, (a, b) =>
        {
            if (a.Status != b.Status) return a.Status.CompareTo(b.Status);
            if (a.Status == SlideReportStatus.Scored)
            {
                int byValue = RankingValue(run, b).CompareTo(RankingValue(run, a));
                if (byValue != 0) return byValue;
            }
            return string.CompareOrdinal(a.SlideId, b.SlideId);
        });
        return ordered;
    }

    /// <summary>The value a scored slide is ranked by: the risk, or the probability of the ranking class.</summary>
    internal static double RankingValue(BatchReportRun run, BatchReportSlide slide) =>
        run.Task == MilTask.Survival ? slide.Risk!.Value : slide.Probabilities![run.RankingClassIndex];

    private static int Count(IReadOnlyList<BatchReportSlide> slides, SlideReportStatus status)
    {
        int count = 0;
        foreach (BatchReportSlide slide in slides) if (slide.Status == status) count++;
        return count;
    }

    private static void Validate(BatchReportRun run)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(run.Title, nameof(run) + "." + nameof(run.Title));
        ArgumentException.ThrowIfNullOrWhiteSpace(run.ModelName, nameof(run) + "." + nameof(run.ModelName));
        ArgumentException.ThrowIfNullOrWhiteSpace(run.ExtractorId, nameof(run) + "." + nameof(run.ExtractorId));
        if (!Enum.IsDefined(run.Task)) throw new ArgumentOutOfRangeException(nameof(run), run.Task, "unknown task");
        if (run.Task == MilTask.Survival)
        {
            if (run.ClassNames.Count != 0)
                throw new ArgumentException($"A survival run has no classes, but {run.ClassNames.Count} class names were given ({string.Join(", ", run.ClassNames)})", nameof(run));
            return;
        }
        if (run.ClassNames.Count < 2)
            throw new ArgumentException($"A classification run needs at least 2 class names, got {run.ClassNames.Count}", nameof(run));
        if (run.ClassNames.Distinct(StringComparer.Ordinal).Count() != run.ClassNames.Count)
            throw new ArgumentException($"The class names repeat a name: {string.Join(", ", run.ClassNames)}", nameof(run));
        if (run.PositiveClass is { } positive && run.IndexOfClass(positive) < 0)
            throw new ArgumentException($"The positive class '{positive}' is not one of the classes ({string.Join(", ", run.ClassNames)})", nameof(run));
    }

    private static void Validate(BatchReportRun run, IReadOnlyList<BatchReportSlide> slides)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < slides.Count; i++)
        {
            BatchReportSlide slide = slides[i] ?? throw new ArgumentException($"Slide {i} is null", nameof(slides));
            if (string.IsNullOrEmpty(slide.SlideId)) throw new ArgumentException($"Slide {i} has no id", nameof(slides));
            string which = $"Slide '{slide.SlideId}'";
            if (!ids.Add(slide.SlideId)) throw new ArgumentException($"{which} appears twice: slide ids must be unique", nameof(slides));
            if (!Enum.IsDefined(slide.Status)) throw new ArgumentException($"{which} has an unknown status {slide.Status}", nameof(slides));
            if (slide.PatchCount is < 0) throw new ArgumentException($"{which} has {slide.PatchCount} patches", nameof(slides));
            if (slide.Status != SlideReportStatus.Scored)
            {
                if (string.IsNullOrWhiteSpace(slide.Reason))
                    throw new ArgumentException($"{which} is {slide.Status.ToString().ToLowerInvariant()} but has no reason: the report must say why", nameof(slides));
                continue;
            }
            if (run.Task == MilTask.Survival)
            {
                if (slide.Risk is not { } risk || !float.IsFinite(risk))
                    throw new ArgumentException($"{which} is scored by a survival model but its risk is {(slide.Risk?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "missing")}", nameof(slides));
                continue;
            }
            if (slide.Probabilities is not { } p)
                throw new ArgumentException($"{which} is scored by a classifier but has no probabilities", nameof(slides));
            if (p.Count != run.ClassNames.Count)
                throw new ArgumentException($"{which} has {p.Count} probabilities for {run.ClassNames.Count} classes ({string.Join(", ", run.ClassNames)})", nameof(slides));
            for (int c = 0; c < p.Count; c++)
            {
                if (!float.IsFinite(p[c])) throw new ArgumentException($"{which} has probability {p[c]} for class '{run.ClassNames[c]}', not a finite number", nameof(slides));
            }
            if (slide.PredictedClass is { } predicted && run.IndexOfClass(predicted) < 0)
                throw new ArgumentException($"{which} is predicted as '{predicted}', which is not one of the classes ({string.Join(", ", run.ClassNames)})", nameof(slides));
        }
    }
}
