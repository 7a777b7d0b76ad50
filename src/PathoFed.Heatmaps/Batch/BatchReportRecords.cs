using PathoFed.Heatmaps.Reports;

namespace PathoFed.Heatmaps.Batch;

/// <summary>The batch run's state records as the rows and header of its report.html.</summary>
internal static class BatchReportRecords
{
    public static BatchReportRun RunOf(BatchScoringJob job, string? command) => new()
    {
        Title = $"PathoFed run: {Path.GetFileName(job.Layout.Root)}",
        ModelName = job.Model.Name,
        ModelId = "sha256:" + job.Model.Sha256[..16],
        Task = job.Model.Model.Config.Task,
        ClassNames = job.Model.Model.Config.ClassNames,
        ExtractorId = job.Model.Model.Config.Features.ExtractorId,
        Command = command,
        GeneratedAt = DateTimeOffset.UtcNow,
    };

    public static BatchReportSlide SlideOf(SlideRunRecord record, BatchScoringLayout layout, IReadOnlyDictionary<string, string>? trueLabels) => new()
    {
        SlideId = record.SlideId,
        SlidePath = record.SlidePath,
        Status = record.Ok ? SlideReportStatus.Scored : SlideReportStatus.Failed,
        Reason = record.Ok ? null : record.Reason,
        PredictedClass = record.PredictedClass,
        Probabilities = record.Probabilities,
        Risk = record.Risk,
        PatchCount = record.Ok ? record.Patches : null,
        TrueLabel = trueLabels?.GetValueOrDefault(record.SlideId),
        Heatmaps = record.Ok && record.HeatmapError is null ? SlideHeatmapFiles.InFolder(layout.Heatmap(record.SlideId)) : null,
        HeatmapError = record.HeatmapError,
    };
}
