using System.Globalization;
using PathoFed.Features.Storage;

namespace PathoFed.Mil.Data;

/// <summary>Labelled bags ready for training, sorted by slide id, with every slide that was left out and why.</summary>
public sealed record MilDataset(
    MilTask Task,
    IReadOnlyList<MilExample> Examples,
    IReadOnlyList<string> ClassNames,
    FeatureOrigin Features,
    IReadOnlyList<SkippedSlide> Skipped)
{
    public string ExtractorId => Features.ExtractorId;

    public string ExtractorSha256 => Features.ExtractorSha256;

    public int EmbeddingDim => Features.EmbeddingDim;
}

/// <summary>Unlabelled bags for scoring, sorted by slide id, with the slides that could not be used.</summary>
public sealed record MilBagSet(IReadOnlyList<MilBag> Bags, FeatureOrigin Features, IReadOnlyList<SkippedSlide> Skipped);

/// <summary>
/// Loads bags from a features folder laid out as <c>&lt;featuresDir&gt;/&lt;slideId&gt;/features.parquet</c>.
/// A slide that cannot be used (no features, no label, no patches, non-finite embeddings, unreadable table) is
/// skipped and listed with its reason, so one bad slide never stops a run; features from different extractors or of
/// different widths cannot be mixed at all and fail the whole load.
/// </summary>
public static class MilDatasetLoader
{
    /// <summary>Parquet decoding is CPU-bound: a few slides at a time keep both cores busy without holding many bags half-read.</summary>
    public const int DefaultMaxConcurrency = 4;

    /// <summary>Reads the labels CSV for <paramref name="task"/>, then loads the labelled slides' bags.</summary>
    /// <exception cref="MilException">The labels are malformed, or the features cannot form one data set.</exception>
    public static Task<MilDataset> LoadAsync(string featuresDir, string labelsCsvPath, MilTask task,
        int maxConcurrency = DefaultMaxConcurrency, CancellationToken cancellationToken = default) =>
        LoadAsync(featuresDir, LabelsCsv.Read(labelsCsvPath, task), maxConcurrency, cancellationToken);

    /// <summary>Loads the bag of every labelled slide that has features; unlabelled features are skipped and listed.</summary>
    /// <exception cref="MilException">
    /// The folder is missing, no slide is usable, or slides disagree on extractor or embedding width (the message names both slides).
    /// </exception>
    public static async Task<MilDataset> LoadAsync(string featuresDir, MilLabels labels,
        int maxConcurrency = DefaultMaxConcurrency, CancellationToken cancellationToken = default)
    {
        var skipped = new List<SkippedSlide>();
        HashSet<string> withFeatures = SlidesWithFeatures(featuresDir);
        var labelOf = labels.Slides.ToDictionary(slide => slide.SlideId, StringComparer.Ordinal);
        foreach (string slideId in withFeatures.Where(id => !labelOf.ContainsKey(id)))
        {
            skipped.Add(new SkippedSlide(slideId, $"has features but no label in '{labels.Source}'"));
        }
        foreach (SlideLabel label in labels.Slides.Where(label => !withFeatures.Contains(label.SlideId)))
        {
            skipped.Add(new SkippedSlide(label.SlideId, MissingFeaturesReason(featuresDir, label.SlideId)));
        }

        string[] toLoad = labels.Slides.Select(s => s.SlideId).Where(withFeatures.Contains).Order(StringComparer.Ordinal).ToArray();
        (MilBag[] bags, FeatureOrigin origin) = await LoadBagsAsync(featuresDir, toLoad, skipped, maxConcurrency, cancellationToken);
        MilExample[] examples = bags.Select(bag =>
        {
            SlideLabel label = labelOf[bag.SlideId];
            return new MilExample(bag, label.Target, label.PatientId, label.Site);
        }).ToArray();
        return new MilDataset(labels.Task, examples, labels.ClassNames, origin, Sorted(skipped));
    }

    /// <summary>
    /// Loads bags without labels, for scoring: every slide with features, or only <paramref name="slideIds"/>
    /// (those without features are skipped and listed).
    /// </summary>
    /// <exception cref="MilException">The folder is missing, no slide is usable, or slides disagree on extractor or embedding width.</exception>
    public static async Task<MilBagSet> LoadBagsAsync(string featuresDir, IEnumerable<string>? slideIds = null,
        int maxConcurrency = DefaultMaxConcurrency, CancellationToken cancellationToken = default)
    {
        var skipped = new List<SkippedSlide>();
        HashSet<string> withFeatures = SlidesWithFeatures(featuresDir);
        IEnumerable<string> wanted = withFeatures;
        if (slideIds is not null)
        {
            string[] requested = slideIds.Distinct(StringComparer.Ordinal).ToArray();
            skipped.AddRange(requested.Where(id => !withFeatures.Contains(id)).Select(id => new SkippedSlide(id, MissingFeaturesReason(featuresDir, id))));
            wanted = requested.Where(withFeatures.Contains);
        }
        (MilBag[] bags, FeatureOrigin origin) = await LoadBagsAsync(featuresDir, wanted.Order(StringComparer.Ordinal).ToArray(), skipped, maxConcurrency, cancellationToken);
        return new MilBagSet(bags, origin, Sorted(skipped));
    }

    /// <summary>Slide ids whose folder holds a features table (folders without one count only when a label or request names them).</summary>
    private static HashSet<string> SlidesWithFeatures(string featuresDir)
    {
        if (!Directory.Exists(featuresDir))
        {
            throw new MilException($"Features folder '{featuresDir}' does not exist: run feature extraction first, or check the path");
        }
        var slides = new HashSet<string>(StringComparer.Ordinal);
        foreach (string folder in Directory.EnumerateDirectories(featuresDir))
        {
            string slideId = Path.GetFileName(folder);
            if (File.Exists(Path.Combine(folder, FeatureTable.FileName))) slides.Add(slideId);
        }
        return slides;
    }

    private static string MissingFeaturesReason(string featuresDir, string slideId)
    {
        string folder = Path.Combine(featuresDir, slideId);
        return Directory.Exists(folder)
            ? $"folder '{folder}' has no {FeatureTable.FileName} (feature extraction not run or not finished)"
            : $"no features folder '{folder}'";
    }

    /// <summary>Reads <paramref name="slideIds"/> (sorted) in parallel into their sorted positions, then checks that they share one origin.</summary>
    private static async Task<(MilBag[] Bags, FeatureOrigin Origin)> LoadBagsAsync(string featuresDir, string[] slideIds,
        List<SkippedSlide> skipped, int maxConcurrency, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        var results = new SlideLoad[slideIds.Length];
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxConcurrency, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, slideIds.Length), options, async (i, ct) =>
            results[i] = await LoadSlideAsync(featuresDir, slideIds[i], ct).ConfigureAwait(false)).ConfigureAwait(false);

        skipped.AddRange(results.Where(r => r.SkipReason is not null).Select(r => new SkippedSlide(r.SlideId, r.SkipReason!)));
        SlideLoad[] loaded = results.Where(r => r.Bag is not null).ToArray();
        if (loaded.Length == 0)
        {
            string reasons = string.Join("; ", skipped.Take(5).Select(s => $"{s.SlideId}: {s.Reason}"));
            throw new MilException($"No usable slide in features folder '{featuresDir}' ({skipped.Count} skipped{(reasons.Length > 0 ? ": " + reasons : "")})");
        }
        FeatureOrigin origin = RequireOneOrigin(featuresDir, loaded);
        return (loaded.Select(r => r.Bag!).ToArray(), origin);
    }

    private static FeatureOrigin RequireOneOrigin(string featuresDir, SlideLoad[] loaded)
    {
        SlideLoad first = loaded[0];
        foreach (SlideLoad other in loaded.Skip(1))
        {
            if (other.Origin.ExtractorId != first.Origin.ExtractorId || other.Origin.ExtractorSha256 != first.Origin.ExtractorSha256)
            {
                throw new MilException(
                    $"Features in '{featuresDir}' come from different extractors: slide '{first.SlideId}' from {first.Origin.ExtractorId} " +
                    $"(sha256 {first.Origin.ExtractorSha256}), slide '{other.SlideId}' from {other.Origin.ExtractorId} (sha256 {other.Origin.ExtractorSha256}); " +
                    "re-extract the slides with one extractor");
            }
            if (other.Origin.EmbeddingDim != first.Origin.EmbeddingDim)
            {
                throw new MilException(
                    $"Features in '{featuresDir}' have different embedding widths: slide '{first.SlideId}' {first.Origin.EmbeddingDim}, " +
                    $"slide '{other.SlideId}' {other.Origin.EmbeddingDim}; re-extract the slides with one extractor");
            }
        }
        return first.Origin;
    }

    private static async Task<SlideLoad> LoadSlideAsync(string featuresDir, string slideId, CancellationToken cancellationToken)
    {
        string path = Path.Combine(featuresDir, slideId, FeatureTable.FileName);
        FeatureRows rows;
        try
        {
            rows = await FeatureRows.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A damaged table (truncated copy, foreign file) is one slide's problem: Parquet.Net throws several exception types for it.
            return SlideLoad.Skip(slideId, $"'{path}' cannot be read: {e.Message}");
        }

        FeatureTableInfo info = rows.Info;
        if (rows.Count == 0) return SlideLoad.Skip(slideId, "empty bag: the features table has 0 patches");
        int firstBad = Array.FindIndex(rows.Embeddings, value => !float.IsFinite(value));
        if (firstBad >= 0)
        {
            return SlideLoad.Skip(slideId, $"embedding of patch row {firstBad / info.EmbeddingDim} has a non-finite value ({rows.Embeddings[firstBad].ToString(CultureInfo.InvariantCulture)}) in '{path}'");
        }
        var origin = new FeatureOrigin(info.ExtractorId, info.ExtractorSha256, info.EmbeddingDim);
        return new SlideLoad(slideId, new MilBag(slideId, rows.Count, info.EmbeddingDim, rows.Embeddings) { Patches = rows.Patches, Geometry = info.Geometry }, origin, null);
    }

    private static SkippedSlide[] Sorted(List<SkippedSlide> skipped) =>
        skipped.OrderBy(s => s.SlideId, StringComparer.Ordinal).ToArray();

    private sealed record SlideLoad(string SlideId, MilBag? Bag, FeatureOrigin Origin, string? SkipReason)
    {
        public static SlideLoad Skip(string slideId, string reason) => new(slideId, null, new FeatureOrigin("", "", 0), reason);
    }
}
