using System.Text.Json;
using PathoFed.Mil.Experiments;
using PathoFed.Mil.Training;

namespace PathoFed.Heatmaps.Batch;

/// <summary>
/// How one slide of a batch run ended, in <c>state/&lt;slide&gt;.json</c>: written last (atomically) when every output of
/// the slide is in place, or when it failed. A slide counts as done for a model only when its record says ok for that
/// model's fingerprint; everything the run's tables and report show is rebuilt from these records.
/// </summary>
public sealed record SlideRunRecord
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public required string SlideId { get; init; }

    public required string SlidePath { get; init; }

    /// <summary>sha256 of the model's weights and configuration: which model the outcome belongs to.</summary>
    public required string ModelFingerprint { get; init; }

    public required bool Ok { get; init; }

    public int Patches { get; init; }

    /// <summary>The predicted class (classification); null for survival heads and failures.</summary>
    public string? PredictedClass { get; init; }

    /// <summary>Class probabilities in the model's class order (classification).</summary>
    public float[]? Probabilities { get; init; }

    /// <summary>Relapse risk (survival).</summary>
    public float? Risk { get; init; }

    /// <summary>The stage that failed (tiling, embedding, scoring, heatmap) and one line naming the file and cause.</summary>
    public string? FailedStage { get; init; }

    public string? Error { get; init; }

    /// <summary>Why the heatmaps of a scored slide could not be drawn: the score stands, the report says what is missing.</summary>
    public string? HeatmapError { get; init; }

    /// <summary>What went wrong, as errors.csv and the report show it: the failed stage, or the heatmap of a scored slide.</summary>
    public string? Reason => Ok ? HeatmapError is null ? null : $"heatmap: {HeatmapError}" : $"{FailedStage}: {Error}";

    public DateTimeOffset FinishedUtc { get; init; }

    public static SlideRunRecord Scored(string slidePath, string modelFingerprint, int patches, SlideScore score, string? heatmapError) => new()
    {
        SlideId = score.SlideId,
        SlidePath = slidePath,
        ModelFingerprint = modelFingerprint,
        Ok = true,
        Patches = patches,
        PredictedClass = score.PredictedClass,
        Probabilities = score.Prediction?.Risk is null ? score.Prediction?.Probabilities : null,
        Risk = score.Prediction?.Risk,
        HeatmapError = heatmapError,
        FinishedUtc = DateTimeOffset.UtcNow,
    };

    public static SlideRunRecord Failure(string slideId, string slidePath, string modelFingerprint, string stage, string error) => new()
    {
        SlideId = slideId,
        SlidePath = slidePath,
        ModelFingerprint = modelFingerprint,
        Ok = false,
        FailedStage = stage,
        Error = error,
        FinishedUtc = DateTimeOffset.UtcNow,
    };

    /// <summary>The line scores.csv shows for this slide.</summary>
    public SlideScore ToScore() => Ok
        ? new SlideScore(SlideId, new MilPrediction(SlideId, Probabilities ?? [], Risk, []), PredictedClass, null)
        : new SlideScore(SlideId, null, null, $"{FailedStage} failed: {Error}") { Failed = true };

    public void Write(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json) + "\n");

    /// <summary>The record at <paramref name="path"/>, or null when it is missing or unreadable (a slide then counts as not done).</summary>
    public static SlideRunRecord? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<SlideRunRecord>(File.ReadAllText(path), Json) : null;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
