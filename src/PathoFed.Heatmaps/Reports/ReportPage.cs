using System.Globalization;
using PathoFed.Mil.Data;

namespace PathoFed.Heatmaps.Reports;

/// <summary>
/// Writes the page of <see cref="BatchReport"/>. Every value from the run goes through <see cref="Html.Escape"/>; data for
/// the sorting script travels in <c>data-value</c> attributes, never inside the script, so no slide id can end it.
/// </summary>
internal sealed class ReportPage(
    TextWriter writer, string reportFolder, BatchReportRun run, IReadOnlyList<BatchReportSlide> ranked, BatchReportMetrics? metrics, BatchReportOptions options)
{
    /// <summary>
    /// Nothing may be fetched: images are data URIs, style and script inline. Links to the full-size files are navigations,
    /// which the policy does not govern, so they still open from file://.
    /// </summary>
    public const string ContentSecurityPolicy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'";

    public const string DisclaimerLead = "Research use only.";

    public const string DisclaimerBody =
        "Not for diagnostic use: these scores and heatmaps come from a research model that has not been validated for " +
        "clinical decisions; they must not replace a pathologist's review of the slides.";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private readonly bool _survival = run.Task == MilTask.Survival;
    private readonly bool _anyTruth = ranked.Any(s => s.TrueLabel is not null);
    private int _images;

    /// <returns>The number of thumbnails embedded.</returns>
    public int Write(CancellationToken cancellationToken)
    {
        string title = Html.Escape(run.Title);
        W("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        W("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        W($"<meta http-equiv=\"Content-Security-Policy\" content=\"{ContentSecurityPolicy}\">\n");
        W($"<meta name=\"generator\" content=\"PathoFed {Html.Escape(run.PathoFedVersion)}\">\n");
        W($"<title>{title}</title>\n<style>\n{ReportAssets.Css}</style>\n</head>\n<body>\n");
        WriteHeader(title);
        W("<main>\n");
        WriteMetrics();
        WriteTable();
        W("<section id=\"slides\">\n<h2>Slides</h2>\n");
        for (int i = 0; i < ranked.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            WriteCard(i + 1, ranked[i]);
        }
        W("</section>\n</main>\n");
        W($"<footer><p>{DisclaimerLead} {Html.Escape(DisclaimerBody)}</p><p>Written by PathoFed {Html.Escape(run.PathoFedVersion)}.</p></footer>\n");
        W($"<script>\n{ReportAssets.Script}</script>\n</body>\n</html>\n");
        return _images;
    }

    private void WriteHeader(string title)
    {
        int scored = ranked.Count(s => s.Status == SlideReportStatus.Scored);
        int failed = ranked.Count(s => s.Status == SlideReportStatus.Failed);
        int skipped = ranked.Count(s => s.Status == SlideReportStatus.Skipped);
        DateTimeOffset utc = run.GeneratedAt.ToUniversalTime();

        W($"<header>\n<h1>{title}</h1>\n");
        W($"<p class=\"disclaimer\" role=\"note\" id=\"disclaimer\"><strong>{DisclaimerLead}</strong> {Html.Escape(DisclaimerBody)}</p>\n");
        W("<dl class=\"run\">\n");
        if (run.Command is { } command) W($"<dt>Run</dt><dd><code>{Html.Escape(command)}</code></dd>\n");
        string model = Html.Escape(run.ModelName) + (run.ModelId is { } id ? $" <span class=\"muted\">({Html.Escape(id)})</span>" : "");
        W($"<dt>Model</dt><dd id=\"model\">{model}</dd>\n");
        W($"<dt>Task</dt><dd id=\"task\">{Html.Escape(TaskDescription())}</dd>\n");
        W($"<dt>Extractor</dt><dd id=\"extractor\">{Html.Escape(run.ExtractorId)}</dd>\n");
        W($"<dt>Slides</dt><dd id=\"counts\">{ranked.Count} in all: {scored} scored, {failed} failed, {skipped} skipped</dd>\n");
        W($"<dt>Generated</dt><dd><time datetime=\"{utc.ToString("yyyy-MM-ddTHH:mm:ssZ", Invariant)}\">{utc.ToString("yyyy-MM-dd HH:mm", Invariant)} UTC</time></dd>\n");
        W($"<dt>PathoFed</dt><dd id=\"version\">{Html.Escape(run.PathoFedVersion)}</dd>\n");
        W("</dl>\n</header>\n");
    }

    private string TaskDescription() => _survival
        ? "Survival: predicted risk, ranked highest first"
        : $"Classification into {string.Join(", ", run.ClassNames)}; ranked by p({run.ClassNames[run.RankingClassIndex]}), highest first";

    private void WriteMetrics()
    {
        if (metrics is null)
        {
            if (_survival && _anyTruth)
            {
                W("<section id=\"metrics\">\n<h2>Known labels</h2>\n<p>Known labels are listed in the table; a risk model has no class to compare them with, so no accuracy is given.</p>\n</section>\n");
            }
            return;
        }
        W("<section id=\"metrics\">\n<h2>Against the known labels</h2>\n");
        W($"<p id=\"metrics-line\">{Html.Escape(MetricsLine(metrics, run))}</p>\n");
        var notes = new List<string>();
        if (metrics.UnknownLabelSlides > 0)
            notes.Add($"{metrics.UnknownLabelSlides} scored slide(s) carry a label that is none of the model's classes and are left out.");
        int unscored = ranked.Count(s => s.Status != SlideReportStatus.Scored && s.TrueLabel is not null);
        if (unscored > 0) notes.Add($"{unscored} labelled slide(s) were not scored and are left out.");
        foreach (string note in notes) W($"<p class=\"muted\">{Html.Escape(note)}</p>\n");

        if (metrics.LabelledSlides > 0)
        {
            W("<table class=\"confusion\" id=\"confusion\">\n<caption>Confusion table: rows are the known labels, columns the predictions</caption>\n");
            W("<thead><tr><th scope=\"col\">known \\ predicted</th>");
            foreach (string name in metrics.ClassNames) W($"<th scope=\"col\">{Html.Escape(name)}</th>");
            W("</tr></thead>\n<tbody>\n");
            for (int t = 0; t < metrics.ClassNames.Count; t++)
            {
                W($"<tr><th scope=\"row\">{Html.Escape(metrics.ClassNames[t])}</th>");
                for (int p = 0; p < metrics.ClassNames.Count; p++)
                {
                    W($"<td{(t == p ? " class=\"diagonal\"" : "")}>{metrics.Confusion[t][p]}</td>");
                }
                W("</tr>\n");
            }
            W("</tbody>\n</table>\n");
        }
        W("</section>\n");
    }

    /// <summary>E.g. "Accuracy 0.750 (3 of 4 labelled slides) · balanced accuracy 0.750 · ROC AUC 0.833 (tumor vs normal)".</summary>
    internal static string MetricsLine(BatchReportMetrics metrics, BatchReportRun run)
    {
        if (metrics.LabelledSlides == 0) return "No scored slide carries a label among the model's classes: no accuracy or AUC.";
        string auc = double.IsNaN(metrics.RocAuc)
            ? "ROC AUC undefined (a class has no labelled slide)"
            : metrics.ClassNames.Count == 2
                ? $"ROC AUC {Number(metrics.RocAuc)} ({metrics.ClassNames[run.RankingClassIndex]} vs {metrics.ClassNames[1 - run.RankingClassIndex]})"
                : $"ROC AUC {Number(metrics.RocAuc)} (macro mean of one-vs-rest)";
        return $"Accuracy {Number(metrics.Accuracy)} ({metrics.CorrectSlides} of {metrics.LabelledSlides} labelled slides) · " +
               $"balanced accuracy {Number(metrics.BalancedAccuracy)} · {auc}";
    }

    private void WriteTable()
    {
        W("<section id=\"scores-section\">\n<h2>Scores</h2>\n");
        W("<p class=\"muted\">Click a column heading to sort by it, again to reverse; # restores the ranking. Slides without a value sort last.</p>\n");
        W("<table id=\"scores\" class=\"scores\">\n<thead><tr>");
        Header("#", "number", "asc", sorted: true);
        Header("Slide", "text", "asc");
        Header("Status", "text", "asc");
        if (_survival) Header("Risk", "number", "desc");
        else
        {
            Header("Prediction", "text", "asc");
            foreach (string name in run.ClassNames) Header($"p({name})", "number", "desc");
        }
        Header("Patches", "number", "desc");
        if (_anyTruth) Header("Known", "text", "asc");
        Header("Reason", "text", "asc");
        W("</tr></thead>\n<tbody>\n");
        for (int i = 0; i < ranked.Count; i++) WriteRow(i + 1, ranked[i]);
        W("</tbody>\n</table>\n</section>\n");
    }

    private void Header(string label, string type, string firstDirection, bool sorted = false) =>
        W($"<th scope=\"col\" data-type=\"{type}\" data-first=\"{firstDirection}\"{(sorted ? " aria-sort=\"ascending\"" : "")}><button type=\"button\">{Html.Escape(label)}</button></th>");

    private void WriteRow(int rank, BatchReportSlide slide)
    {
        string status = StatusWord(slide.Status);
        W($"<tr class=\"{status}\" data-rank=\"{rank}\">");
        W($"<td data-value=\"{rank}\">{rank}</td>");
        string id = Html.Escape(slide.SlideId);
        W($"<td data-value=\"{id}\"><a href=\"#{CardId(rank)}\">{id}</a></td>");
        W($"<td data-value=\"{status}\">{status}</td>");
        bool scored = slide.Status == SlideReportStatus.Scored;
        if (_survival)
        {
            string risk = scored ? Value(slide.Risk!.Value) : "";
            W($"<td data-value=\"{risk}\" class=\"num\">{(scored ? Number(slide.Risk!.Value) : "")}</td>");
        }
        else
        {
            string predicted = scored ? Html.Escape(run.ClassNames[ReportMetrics.PredictedIndex(run, slide)]) : "";
            W($"<td data-value=\"{predicted}\">{predicted}</td>");
            for (int c = 0; c < run.ClassNames.Count; c++)
            {
                string value = scored ? Value(slide.Probabilities![c]) : "";
                W($"<td data-value=\"{value}\" class=\"num\">{(scored ? Number(slide.Probabilities![c]) : "")}</td>");
            }
        }
        string patches = slide.PatchCount?.ToString(Invariant) ?? "";
        W($"<td data-value=\"{patches}\" class=\"num\">{patches}</td>");
        if (_anyTruth)
        {
            string known = Html.Escape(slide.TrueLabel);
            W($"<td data-value=\"{known}\">{known}{Verdict(slide)}</td>");
        }
        string reason = Html.Escape(slide.Reason);
        W($"<td data-value=\"{reason}\" class=\"reason\">{reason}</td>");
        W("</tr>\n");
    }

    /// <summary>A tick or cross after the known label of a scored classification slide.</summary>
    private string Verdict(BatchReportSlide slide)
    {
        if (_survival || slide.Status != SlideReportStatus.Scored || slide.TrueLabel is not { } label || run.IndexOfClass(label) < 0) return "";
        return ReportMetrics.PredictedIndex(run, slide) == run.IndexOfClass(label)
            ? " <span class=\"right\" title=\"prediction matches\">\u2713</span>"
            : " <span class=\"wrong\" title=\"prediction differs\">\u2717</span>";
    }

    private void WriteCard(int rank, BatchReportSlide slide)
    {
        string id = Html.Escape(slide.SlideId);
        string status = StatusWord(slide.Status);
        W($"<article class=\"card {status}\" id=\"{CardId(rank)}\">\n<h3><span class=\"rank\">{rank}.</span> {id} <span class=\"badge\">{status}</span></h3>\n<dl>\n");
        if (slide.SlidePath is { } slidePath) W($"<dt>Slide file</dt><dd><code>{Html.Escape(slidePath)}</code></dd>\n");
        if (slide.Status == SlideReportStatus.Scored)
        {
            if (_survival) W($"<dt>Risk</dt><dd>{Number(slide.Risk!.Value)}</dd>\n");
            else
            {
                W($"<dt>Prediction</dt><dd>{Html.Escape(run.ClassNames[ReportMetrics.PredictedIndex(run, slide)])}</dd>\n");
                string probabilities = string.Join(", ", run.ClassNames.Select((name, c) => $"p({name}) = {Number(slide.Probabilities![c])}"));
                W($"<dt>Probabilities</dt><dd>{Html.Escape(probabilities)}</dd>\n");
            }
        }
        if (slide.PatchCount is { } count) W($"<dt>Patches</dt><dd>{count.ToString(Invariant)}</dd>\n");
        if (slide.TrueLabel is { } label) W($"<dt>Known label</dt><dd>{Html.Escape(label)}{Verdict(slide)}</dd>\n");
        if (slide.Reason is { } reason) W($"<dt>{(slide.Status == SlideReportStatus.Scored ? "Note" : "Reason")}</dt><dd class=\"reason\">{Html.Escape(reason)}</dd>\n");
        W("</dl>\n");
        if (slide.Status == SlideReportStatus.Scored || slide.Heatmaps is not null) WriteImages(slide);
        W("</article>\n");
    }

    private void WriteImages(BatchReportSlide slide)
    {
        SlideHeatmapFiles? files = slide.Heatmaps;
        W("<div class=\"images\">\n");
        string? overlayError = slide.HeatmapError is { } error ? error
            : files?.Overlay is null ? "the run wrote no overlay for this slide"
            : null;
        if (overlayError is null) overlayError = Figure(files!.Overlay!, options.OverlayThumbnailLongSidePx, "overlay", $"Heatmap over {slide.SlideId}", "Overlay");
        if (overlayError is not null) W($"<p class=\"no-heatmap\">No heatmap: {Html.Escape(overlayError)}</p>\n");
        if (slide.HeatmapError is null && files?.Gallery is { } gallery)
        {
            string? galleryError = Figure(gallery, options.GalleryThumbnailLongSidePx, "gallery", $"Highest and lowest scoring patches of {slide.SlideId}", "Top and bottom patches");
            if (galleryError is not null) W($"<p class=\"no-heatmap\">No gallery: {Html.Escape(galleryError)}</p>\n");
        }
        W("</div>\n");
        if (files is not null)
        {
            W("<p class=\"files\">Full size: ");
            string?[] paths = [files.Overlay, files.Gallery, files.GeoJson, files.Pyramid];
            bool first = true;
            foreach (string? path in paths)
            {
                if (path is null) continue;
                if (!first) W(" · ");
                first = false;
                string name = Html.Escape(Path.GetFileName(path));
                string full = Path.GetFullPath(Path.Combine(reportFolder, path));
                W(File.Exists(full)
                    ? $"<a href=\"{Html.Escape(Html.RelativeUrl(reportFolder, path))}\">{name}</a>"
                    : $"<span class=\"missing\" title=\"not found\">{name} (missing)</span>");
            }
            W(first ? "none</p>\n" : "</p>\n");
        }
    }

    /// <summary>An embedded thumbnail linking to the full-size file.</summary>
    /// <returns>Null when it was written, else why not.</returns>
    private string? Figure(string path, int longSidePx, string kind, string alt, string caption)
    {
        string full = Path.GetFullPath(Path.Combine(reportFolder, path));
        ReportThumbnail thumbnail = ReportThumbnail.Load(full, longSidePx, options.JpegQuality);
        if (thumbnail.DataUri is null) return thumbnail.Error;
        string href = Html.Escape(Html.RelativeUrl(reportFolder, path));
        W($"<figure class=\"{kind}\"><a href=\"{href}\"><img src=\"{thumbnail.DataUri}\" width=\"{thumbnail.Width}\" height=\"{thumbnail.Height}\" alt=\"{Html.Escape(alt)}\"></a>");
        W($"<figcaption>{Html.Escape(caption)} (click for full size)</figcaption></figure>\n");
        _images++;
        return null;
    }

    private static string CardId(int rank) => "slide-" + rank.ToString(CultureInfo.InvariantCulture);

    private static string StatusWord(SlideReportStatus status) => status switch
    {
        SlideReportStatus.Scored => "scored",
        SlideReportStatus.Failed => "failed",
        _ => "skipped",
    };

    /// <summary>Three decimals for reading.</summary>
    private static string Number(double value) => value.ToString("0.000", Invariant);

    /// <summary>Round-trip precision for sorting.</summary>
    private static string Value(float value) => value.ToString("R", Invariant);

    private void W(string text) => writer.Write(text);
}
