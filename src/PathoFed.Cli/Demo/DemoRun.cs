using System.Diagnostics;
using System.Globalization;
using PathoFed.Cli.Commands;
using PathoFed.Cli.Loopback;
using PathoFed.Cli.Terminal;
using PathoFed.Features.Extractors;
using PathoFed.Features.Pipeline;
using PathoFed.Federation.Plans;
using PathoFed.Heatmaps.Batch;
using PathoFed.Heatmaps.Reports;
using PathoFed.Mil.Data;
using PathoFed.Mil.Heads;
using PathoFed.Slides.Synthetic;
using PathoFed.Slides.Tiling;

namespace PathoFed.Cli.Demo;

/// <summary>
/// <c>pathofed demo</c>, step by step: a synthetic cohort over three hospitals, each hospital embedding its own slides,
/// a federated ABMIL head trained by real coordinator and site processes over mutual TLS on loopback, then the
/// held-out slides batch-scored into scores, heatmaps and a report. Every step resumes from what an earlier run left.
/// </summary>
internal sealed class DemoRun(CliConsole console, DemoOptions options)
{
    private const int Steps = 4;

    private readonly string _root = Path.GetFullPath(options.OutputFolder);
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private string CohortFolder => Path.Combine(_root, "cohort");

    private string SiteFeatures(string site) => Path.Combine(_root, "sites", site, "features");

    private string ResultsFolder => Path.Combine(_root, "results");

    /// <summary>Runs every step; the exit code of the first one that fails, else 0.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        SyntheticCohortOptions cohortOptions = options.Cohort;
        await StepAsync(1, $"Synthetic cohort: {options.SlidesPerSite} slides at each of {string.Join(", ", cohortOptions.Sites)} and {options.HeldOutSlides} held out, " +
            $"{options.SlideSizePx:N0} x {options.SlideSizePx:N0} px at 0.5 µm/px, tumour foci planted in half of them -> {CohortFolder}");
        SyntheticCohortResult cohort = await Task.Run(() => SyntheticCohort.Write(CohortFolder, cohortOptions, new SynchronousProgress<SyntheticCohortProgress>(ReportSlideWritten), cancellationToken), cancellationToken);

        using IFeatureExtractor? extractor = await EmbedCommand.OpenAsync(console, HandETextureExtractor.Manifest, ExtractorRuntimeOptions.Default);
        if (extractor is null) return ExitCodes.Usage;

        await StepAsync(2, $"Each hospital embeds its own slides with {extractor.Manifest.Id} ({extractor.Manifest.Output.Dim}-d); nothing leaves the hospital's folder");
        foreach (string site in cohortOptions.Sites)
        {
            IReadOnlyList<SlideSource> slides = SlideInputs.Resolve([SiteFolder(site, SyntheticCohort.SlidesFolder)]);
            int embedded = await EmbedCommand.EmbedAsync(console, extractor, EmbeddingPipelineOptions.Default, tilingSettings: null, slides, SiteFeatures(site),
                $"{site}: embedding", cancellationToken);
            if (embedded != ExitCodes.Ok) return embedded;
        }

        await StepAsync(3, $"Federated training: a coordinator and {cohortOptions.Sites.Count} site agents as separate processes, mutual TLS on loopback, " +
            $"secure aggregation, {options.Rounds} rounds of FedAvg");
        string? model = await TrainFederatedAsync(cohortOptions.Sites, extractor, cancellationToken);
        if (model is null) return ExitCodes.SomeFailed;

        await StepAsync(4, $"Batch scoring the {options.HeldOutSlides} held-out slides no site has seen: tile, embed, score, heatmaps, report -> {ResultsFolder}");
        Dictionary<string, string> truth = LabelsCsv.Read(SiteFolder(SyntheticCohort.HeldOutSite, SyntheticCohort.LabelsFileName), MilTask.Classify,
            allowSingleClass: true).ClassNameBySlide();
        var scoring = new BatchScoringJob(extractor, model, ResultsFolder, new BatchScoringOptions { TrueLabels = truth, Command = "pathofed demo" });
        IReadOnlyList<SlideSource> heldOut = SlideInputs.Resolve([SiteFolder(SyntheticCohort.HeldOutSite, SyntheticCohort.SlidesFolder)]);
        (int code, BatchScoringResult? scored) = await RunCommand.ScoreAsync(console, scoring, heldOut, "held-out: scoring", cancellationToken);
        if (scored is null) return code;

        IReadOnlyList<FociAgreement> foci = await PlantedFociCheck.MeasureAsync(cohort.Slides.Where(slide => slide.Site == SyntheticCohort.HeldOutSite),
            scoring.Layout.PatchScores, cancellationToken);
        await PrintSummaryAsync(cohort, model, scoring, scored.Metrics, foci);
        return code;
    }

    private async Task<string?> TrainFederatedAsync(IReadOnlyList<string> sites, IFeatureExtractor extractor, CancellationToken cancellationToken)
    {
        var folder = new LoopbackFederationFolder(_root);
        if (Directory.Exists(folder.FinalModel))
        {
            await console.Out.WriteLineAsync($"Already trained: {folder.FinalModel} (delete {folder.Root} to train again).");
            return folder.FinalModel;
        }
        var federation = new LoopbackFederationOptions
        {
            WorkFolder = _root,
            Plan = Plan(extractor),
            Sites = [.. sites.Select(site => new LoopbackSite(site, SiteFeatures(site), SiteFolder(site, SyntheticCohort.LabelsFileName)))],
        };
        try
        {
            LoopbackFederationResult result = await LoopbackFederation.RunAsync(federation, new SynchronousProgress<FederationRoundProgress>(ReportRound), cancellationToken);
            await console.Out.WriteLineAsync($"Trained in {result.Elapsed.TotalSeconds:0} s. Process logs: {result.LogsFolder}; audit logs (check with 'pathofed fed audit verify'): " +
                $"{result.AuditLog} and one per site under {Path.Combine(result.FederationFolder, "sites")}.");
            return result.ModelFolder;
        }
        catch (LoopbackFederationException e)
        {
            await console.Error.WriteLineAsync($"error: federated training failed: {e.Message}");
            return null;
        }
    }

    private void ReportSlideWritten(SyntheticCohortProgress slide)
    {
        lock (console.Out) console.Out.WriteLine($"  [{slide.Done}/{slide.Total}] {slide.SlideId}{(slide.Skipped ? " (already there)" : "")}");
    }

    private void ReportRound(FederationRoundProgress round)
    {
        string line = round.Sampled == 0
            ? $"  coordinator listening; {round.Rounds - round.Round} rounds to go"
            : string.Create(CultureInfo.InvariantCulture, $"  round {round.Round}/{round.Rounds}: {round.Contributors} of {round.Sampled} sites") +
              (round.Metrics.TryGetValue("auc", out double auc) ? string.Create(CultureInfo.InvariantCulture, $", sites' hold-out AUC {auc:0.000}") : "") +
              (round.TrainLoss is { } loss ? string.Create(CultureInfo.InvariantCulture, $", training loss {loss:0.000}") : "") +
              (round.Failures is null ? "" : $" ({round.Failures})");
        lock (console.Out) console.Out.WriteLine(line);
    }

    /// <summary>ABMIL on the default extractor's features: small enough for two cores, big enough for the planted morphology.</summary>
    private FederationPlan Plan(IFeatureExtractor extractor) => new()
    {
        Name = "pathofed-demo",
        Head = MilHeadKind.Abmil,
        Task = MilTask.Classify,
        Classes = [SyntheticCohort.NormalLabel, SyntheticCohort.TumourLabel],
        ExtractorId = extractor.Manifest.Id,
        ExtractorSha256 = extractor.Sha256,
        EmbeddingDim = extractor.Manifest.Output.Dim,
        EncoderDim = 64,
        AttentionDim = 32,
        Rounds = options.Rounds,
        LocalEpochs = 2,
        LearningRate = 2e-3f,
        MinSites = 3,
        RoundDeadlineSeconds = 300,
        SecureAggregation = true,
        Seed = options.Seed,
    };

    /// <param name="heldOut">The report's metrics on the held-out slides (the positive class, tumour, ranks them).</param>
    private async Task PrintSummaryAsync(SyntheticCohortResult cohort, string model, BatchScoringJob scoring, BatchReportMetrics? heldOut,
        IReadOnlyList<FociAgreement> foci)
    {
        string auc = heldOut is { RocAuc: var value } && double.IsFinite(value) ? value.ToString("0.000", CultureInfo.InvariantCulture) : "n/a (one class)";

        await console.Out.WriteLineAsync();
        await console.Out.WriteLineAsync($"Done in {_clock.Elapsed.TotalMinutes:0.0} min. Held-out slides: AUC {auc}, " +
            $"{heldOut?.CorrectSlides ?? 0} of {heldOut?.LabelledSlides ?? 0} called right.");
        if (foci.Count > 0)
        {
            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Heatmaps against the planted tumour foci: patch attention AUC {foci.Average(f => f.Auc):0.000} (mean of {foci.Count} tumour slides; 0.5 = blind, 1 = every focus patch above every other)."));
        }
        await console.Out.WriteLineAsync($"  slides:    {CohortFolder}/<hospital>/slides/ ({cohort.Slides.Count}; planted tumour foci as QuPath GeoJSON in <hospital>/{SyntheticCohort.FociFolder}/)");
        await console.Out.WriteLineAsync($"  features:  {Path.Combine(_root, "sites")}/<hospital>/features/");
        await console.Out.WriteLineAsync($"  federation:{new LoopbackFederationFolder(_root).Root}/ (CA, certificates, plan, coordinator state, audit and process logs)");
        await console.Out.WriteLineAsync($"  model:     {model}");
        await console.Out.WriteLineAsync($"  scores:    {scoring.Layout.ScoresCsv}");
        await console.Out.WriteLineAsync($"  heatmaps:  {scoring.Layout.HeatmapsFolder}/<slide>/");
        await console.Out.WriteLineAsync($"  report:    {scoring.Layout.Report}");
        await console.Out.WriteLineAsync($"  viewer:    pathofed view --slides {SiteFolder(SyntheticCohort.HeldOutSite, SyntheticCohort.SlidesFolder)} --results {ResultsFolder}");
    }

    private async Task StepAsync(int step, string what)
    {
        await console.Out.WriteLineAsync();
        await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"[{step}/{Steps}] {what}   ({_clock.Elapsed.TotalSeconds:0} s)"));
    }

    private string SiteFolder(string site, string name) => Path.Combine(CohortFolder, site, name);
}
