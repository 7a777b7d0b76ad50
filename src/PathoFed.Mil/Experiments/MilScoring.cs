using System.Globalization;
using PathoFed.Mil.Data;
using PathoFed.Mil.Training;

namespace PathoFed.Mil.Experiments;

/// <summary>
/// One slide's line in scores.csv: a prediction, or the reason the slide was skipped (no usable features) or, in a
/// batch run, <see cref="Failed"/> (an earlier stage failed on it).
/// </summary>
public sealed record SlideScore(string SlideId, MilPrediction? Prediction, string? PredictedClass, string? SkipReason)
{
    public bool Failed { get; init; }

    public string Status => Prediction is not null ? "ok" : Failed ? "failed" : "skipped";
}

public sealed record ScoringResult(IReadOnlyList<SlideScore> Slides)
{
    public int Scored => Slides.Count(s => s.Prediction is not null);

    public int Skipped => Slides.Count(s => s.Prediction is null);
}

/// <summary>
/// Scores every slide of a features folder with a trained head: <c>scores.csv</c> (one line per slide, skipped slides
/// with their reason) and, per slide, a patch-score table for heatmaps. Features from another extractor are refused.
/// </summary>
public static class MilScoring
{
    /// <summary>The folder of per-slide patch-score tables beside scores.csv, where the viewer looks for them.</summary>
    public const string PatchScoresFolderName = "patch-scores";

    /// <param name="patchScoresFolder">Where <c>&lt;slide&gt;.parquet</c> patch scores go; null writes none.</param>
    /// <exception cref="MilException">No usable slide, or features from another extractor than the model's.</exception>
    public static async Task<ScoringResult> ScoreAsync(TrainedHead model, string featuresFolder, string scoresCsv, string? patchScoresFolder,
        IEnumerable<string>? slideIds = null, CancellationToken cancellationToken = default)
    {
        MilBagSet bags = await MilDatasetLoader.LoadBagsAsync(featuresFolder, slideIds, cancellationToken: cancellationToken);
        model.Model.Config.EnsureCompatible(bags.Features);
        IReadOnlyList<string> classes = model.Model.Config.ClassNames;
        string kind = PatchScoreTable.ScoreKindFor(model.Head.Config.Kind);
        if (patchScoresFolder is not null) Directory.CreateDirectory(patchScoresFolder);

        var scores = new List<SlideScore>();
        foreach (MilBag bag in bags.Bags)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string? patchScores = patchScoresFolder is null ? null : Path.Combine(patchScoresFolder, bag.SlideId + ".parquet");
            scores.Add(await ScoreBagAsync(model, bag, bags.Features, patchScores, cancellationToken));
        }
        scores.AddRange(bags.Skipped.Select(s => new SlideScore(s.SlideId, null, null, s.Reason)));
        scores.Sort((a, b) => string.CompareOrdinal(a.SlideId, b.SlideId));
        WriteCsv(scoresCsv, model, scores);
        return new ScoringResult(scores);
    }

    /// <summary>Scores one bag, and writes its patch-score table to <paramref name="patchScoresPath"/> when given and the bag has patch coordinates.</summary>
    /// <exception cref="MilException">The bag comes from another extractor than the model's.</exception>
    public static async Task<SlideScore> ScoreBagAsync(TrainedHead model, MilBag bag, FeatureOrigin features, string? patchScoresPath, CancellationToken cancellationToken = default)
    {
        MilPrediction prediction = model.Predict(bag, features);
        IReadOnlyList<string> classes = model.Model.Config.ClassNames;
        string? predicted = prediction.Risk is null ? classes[System.Numerics.Tensors.TensorPrimitives.IndexOfMax(prediction.Probabilities)] : null;
        if (patchScoresPath is not null && bag.Patches is { } patches && bag.Geometry is { } geometry)
        {
            string kind = PatchScoreTable.ScoreKindFor(model.Head.Config.Kind);
            await PatchScoreTable.WriteAsync(patchScoresPath,
                new PatchScoreTable.Content(bag.SlideId, model.Name, kind, geometry, patches, prediction.InstanceScores), cancellationToken);
        }
        return new SlideScore(bag.SlideId, prediction, predicted, null);
    }

    /// <summary>
    /// Writes scores.csv atomically. Columns: slide_id, model (the folder's name), model_sha256 (its configuration and
    /// weights), status (ok, skipped or failed), prediction (class name, or risk), then p_&lt;class&gt; per class or risk,
    /// and the reason a slide has no score.
    /// </summary>
    public static void WriteCsv(string path, TrainedHead model, IReadOnlyList<SlideScore> scores)
    {
        IReadOnlyList<string> classes = model.Model.Config.ClassNames;
        bool survival = model.Model.Config.Task == MilTask.Survival;
        string[] valueColumns = survival ? ["risk"] : classes.Select(c => "p_" + c).ToArray();
        var lines = new List<string> { Csv.FormatRow(["slide_id", "model", "model_sha256", "status", "prediction", .. valueColumns, "reason"]) };
        foreach (SlideScore score in scores)
        {
            string[] values = score.Prediction is not { } p ? new string[valueColumns.Length]
                : survival ? [Format(p.Risk!.Value)]
                : p.Probabilities.Select(Format).ToArray();
            string prediction = score.Prediction is null ? "" : score.PredictedClass ?? Format(score.Prediction.Risk!.Value);
            lines.Add(Csv.FormatRow([score.SlideId, model.Name, model.Sha256, score.Status, prediction, .. values.Select(v => v ?? ""), score.SkipReason ?? ""]));
        }
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(path, string.Join('\n', lines) + "\n");
    }

    private static string Format(float value) => value.ToString("0.######", CultureInfo.InvariantCulture);
}
