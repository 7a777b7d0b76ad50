using System.Diagnostics;
using System.Threading.Channels;
using PathoFed.Core;
using PathoFed.Features.Extractors;
using PathoFed.Features.Pipeline;
using PathoFed.Heatmaps.Reports;
using PathoFed.Mil;
using PathoFed.Mil.Data;
using PathoFed.Mil.Experiments;
using PathoFed.Mil.Models;
using PathoFed.Slides.Batches;
using PathoFed.Slides.Tiling;

namespace PathoFed.Heatmaps.Batch;

/// <summary>What a run did with its slides, every slide the shared output folder now holds for the model, and the report's metrics against known labels (null without).</summary>
public sealed record BatchScoringResult(SlideBatchResult Batch, IReadOnlyList<SlideRunRecord> Published, BatchReportMetrics? Metrics, BatchStageTimes Stages);

/// <summary>What <see cref="BatchScoringJob.PublishAsync"/> rebuilt the folder's tables from, and the report's metrics (null without known labels).</summary>
public sealed record BatchPublication(IReadOnlyList<SlideRunRecord> Records, BatchReportMetrics? Metrics);

/// <summary>
/// <c>pathofed run</c>: tiles, embeds, scores and draws heatmaps for a batch of slides into one output folder
/// (<see cref="BatchScoringLayout"/>). Slides stream through three stages that run at once (tiling the next slide,
/// embedding this one, scoring and drawing the previous one), so the extractor does not wait on tiling. Each slide's
/// outcome is recorded last, so a killed run resumes with the slides it had not finished; a slide that fails in any
/// stage is recorded with its reason and the others carry on. At the end the shared tables (scores.csv, errors.csv) are
/// rebuilt from every slide's record under a lock, so that shards of one cohort can share the folder.
/// </summary>
public sealed class BatchScoringJob
{
    private readonly IFeatureExtractor _extractor;
    private readonly EmbeddingJob _embedding;
    private readonly BatchScoringOptions _options;

    /// <exception cref="MilException">The model folder is unreadable, or the model was trained on another extractor's features.</exception>
    public BatchScoringJob(IFeatureExtractor extractor, string modelFolder, string outputFolder, BatchScoringOptions? options = null)
        : this(extractor, TrainedHead.Load(modelFolder), outputFolder, options)
    {
    }

    /// <exception cref="MilException">The model was trained on another extractor's features.</exception>
    public BatchScoringJob(IFeatureExtractor extractor, TrainedHead model, string outputFolder, BatchScoringOptions? options = null)
    {
        _extractor = extractor;
        _options = options ?? BatchScoringOptions.Default;
        Model = model;
        Model.Model.Config.EnsureCompatible(extractor.Manifest.Id, extractor.Sha256, extractor.Manifest.Output.Dim);
        Layout = new BatchScoringLayout(outputFolder);
        _embedding = new EmbeddingJob(extractor, Layout.FeaturesFolder, tiling: null, _options.Embedding);
    }

    public TrainedHead Model { get; }

    public BatchScoringLayout Layout { get; }

    /// <summary>Runs every slide of <paramref name="sources"/> (one shard's share, or all) and publishes the folder's tables.</summary>
    public async Task<BatchScoringResult> RunAsync(IReadOnlyList<SlideSource> sources, IProgress<SlideProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Layout.Create();
        var tiled = Channel.CreateBounded<SlideInFlight>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        var embedded = Channel.CreateBounded<SlideInFlight>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        var outcomes = new Dictionary<SlideSource, SlideOutcome>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var times = new BatchStageTimes();

        await Task.WhenAll(
            RunStageAsync(() => TileAllAsync(sources, tiled.Writer, progress, times, stop.Token), tiled.Writer, stop),
            RunStageAsync(() => EmbedAllAsync(tiled.Reader, embedded.Writer, times, stop.Token), embedded.Writer, stop),
            RunStageAsync(() => FinishAllAsync(embedded.Reader, outcomes, progress, times, stop.Token), output: null, stop));
        times.Stop();

        SlideBatchResult batch = new([.. sources.Select(s => outcomes[s])]);
        BatchPublication published = await PublishAsync(cancellationToken);
        return new BatchScoringResult(batch, published.Records, published.Metrics, times);
    }

    /// <summary>
    /// Rebuilds scores.csv, errors.csv and report.html from every slide record of this model in the folder (this run's
    /// and other shards'), holding the folder's publish lock so that two shards finishing together cannot interleave.
    /// </summary>
    public async Task<BatchPublication> PublishAsync(CancellationToken cancellationToken = default)
    {
        using FileStream publishLock = await ExclusiveFileLock.AcquireAsync(Layout.PublishLock, cancellationToken);
        Layout.RemoveSharedLeftovers();
        SlideRunRecord[] records =
        [
            .. Directory.EnumerateFiles(Layout.StateFolder, "*.json")
                .Select(SlideRunRecord.TryRead)
                .OfType<SlideRunRecord>()
                .Where(r => r.ModelFingerprint == Model.Sha256)
                .OrderBy(r => r.SlideId, StringComparer.Ordinal),
        ];
        MilScoring.WriteCsv(Layout.ScoresCsv, Model, [.. records.Select(r => r.ToScore())]);
        SlideBatch.WriteErrors(Layout.ErrorsCsv, records.Where(r => r.Reason is not null).Select(r => (new SlideSource(r.SlideId, r.SlidePath), r.Reason!)));
        BatchReportResult report = BatchReport.Write(Layout.Root, BatchReportRecords.RunOf(this, _options.Command),
            [.. records.Select(r => BatchReportRecords.SlideOf(r, Layout, _options.TrueLabels))], cancellationToken: cancellationToken);
        return new BatchPublication(records, report.Metrics);
    }

    /// <summary>One slide on its way through the stages.</summary>
    private sealed class SlideInFlight(SlideSource source, IProgress<SlideProgress>? progress)
    {
        public SlideSource Source { get; } = source;

        public Stopwatch Clock { get; } = Stopwatch.StartNew();

        public ISlideStageProgress Progress { get; } = new SlideStageProgress(source, progress);

        public SlideRecord? Tiles { get; set; }

        public SlideWork? Embedded { get; set; }

        /// <summary>Set when the slide is finished before the last stage: done by an earlier run, or failed.</summary>
        public SlideRunRecord? Outcome { get; set; }

        public bool AlreadyDone { get; set; }

        public bool Pending => Outcome is null;
    }

    private async Task TileAllAsync(IReadOnlyList<SlideSource> sources, ChannelWriter<SlideInFlight> output, IProgress<SlideProgress>? progress, BatchStageTimes times, CancellationToken cancellationToken)
    {
        foreach (SlideSource source in sources)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var slide = new SlideInFlight(source, progress);
            progress?.Report(new SlideProgress.Started(source));
            // Done means every output is there: a scored slide whose heatmap could not be drawn is tried again.
            if (SlideRunRecord.TryRead(Layout.State(source.SlideId)) is { Ok: true, HeatmapError: null } done && done.ModelFingerprint == Model.Sha256)
            {
                (slide.Outcome, slide.AlreadyDone) = (done, true);
            }
            else
            {
                Layout.RemoveLeftoversOf(source.SlideId); // of a run killed while it worked on this slide
                await AttemptAsync(slide, "tiling", times, async () =>
                    slide.Tiles = await _embedding.TileAsync(source, Layout.Features(source.SlideId), slide.Progress, cancellationToken));
            }
            await output.WriteAsync(slide, cancellationToken);
        }
    }

    private async Task EmbedAllAsync(ChannelReader<SlideInFlight> input, ChannelWriter<SlideInFlight> output, BatchStageTimes times, CancellationToken cancellationToken)
    {
        await foreach (SlideInFlight slide in input.ReadAllAsync(cancellationToken))
        {
            if (slide.Pending)
            {
                await AttemptAsync(slide, "embedding", times, async () =>
                    slide.Embedded = await _embedding.EmbedTiledAsync(slide.Source, Layout.Features(slide.Source.SlideId), slide.Tiles!, slide.Progress, cancellationToken));
            }
            await output.WriteAsync(slide, cancellationToken);
        }
    }

    private async Task FinishAllAsync(ChannelReader<SlideInFlight> input, Dictionary<SlideSource, SlideOutcome> outcomes, IProgress<SlideProgress>? progress, BatchStageTimes times, CancellationToken cancellationToken)
    {
        await foreach (SlideInFlight slide in input.ReadAllAsync(cancellationToken))
        {
            SlideScore? score = null;
            if (slide.Pending) await AttemptAsync(slide, "scoring", times, async () => score = await ScoreAsync(slide, cancellationToken));
            string? heatmapError = slide.Pending ? await times.TimeAsync("heatmap", () => DrawHeatmapAsync(slide.Source, cancellationToken)) : null;

            SlideRunRecord record = slide.Outcome ?? SlideRunRecord.Scored(slide.Source.Path, Model.Sha256, slide.Embedded!.Patches, score!, heatmapError);
            if (!slide.AlreadyDone) record.Write(Layout.State(slide.Source.SlideId));

            SlideOutcomeKind kind = slide.AlreadyDone ? SlideOutcomeKind.Skipped : record.Ok ? SlideOutcomeKind.Done : SlideOutcomeKind.Failed;
            var outcome = new SlideOutcome(slide.Source, kind, record.Patches, record.Ok ? null : record.Reason, slide.Clock.Elapsed,
                record.Ok ? DescribeScore(record) : null);
            outcomes[slide.Source] = outcome;
            progress?.Report(new SlideProgress.Finished(outcome));
        }
    }

    private async Task<SlideScore> ScoreAsync(SlideInFlight slide, CancellationToken cancellationToken)
    {
        string slideId = slide.Source.SlideId;
        if (slide.Embedded!.Patches == 0)
        {
            throw new MilException($"'{slide.Source.Path}': no tissue patch was found, so there is nothing to score; " +
                $"check the tissue outline in '{Path.Combine(Layout.Features(slide.Source.SlideId), QcImage.FileName)}'");
        }
        MilBagSet bags = await MilDatasetLoader.LoadBagsAsync(Layout.FeaturesFolder, [slideId], maxConcurrency: 1, cancellationToken);
        return await MilScoring.ScoreBagAsync(Model, bags.Bags[0], bags.Features, Layout.PatchScores(slideId), cancellationToken);
    }

    /// <summary>Draws a scored slide's heatmaps; a failure that belongs to the slide is returned, and the score stands without them.</summary>
    private async Task<string?> DrawHeatmapAsync(SlideSource source, CancellationToken cancellationToken)
    {
        try
        {
            await HeatmapExport.RunAsync(HeatmapFor(source), cancellationToken);
            return null;
        }
        catch (Exception e) when (SlideBatch.IsSlideFailure(e))
        {
            return SlideBatch.Describe(e, source);
        }
    }

    private HeatmapOptions HeatmapFor(SlideSource source) =>
        _options.HeatmapFor(source.SlideId, source.Path, Layout.PatchScores(source.SlideId), Layout.Heatmap(source.SlideId));

    /// <summary>Runs one stage for one slide; a failure that belongs to the slide is recorded on it, anything else stops the run.</summary>
    private async Task AttemptAsync(SlideInFlight slide, string stage, BatchStageTimes times, Func<Task> work)
    {
        try
        {
            await times.TimeAsync(stage, async () =>
            {
                await work();
                return true;
            });
        }
        catch (Exception e) when (SlideBatch.IsSlideFailure(e))
        {
            slide.Outcome = SlideRunRecord.Failure(slide.Source.SlideId, slide.Source.Path, Model.Sha256, stage, SlideBatch.Describe(e, slide.Source));
        }
    }

    /// <summary>Runs a stage on its own thread; when it ends its output is closed, and when it fails the other stages are stopped.</summary>
    private static async Task RunStageAsync(Func<Task> stage, ChannelWriter<SlideInFlight>? output, CancellationTokenSource stop)
    {
        try
        {
            await Task.Run(stage);
            output?.TryComplete();
        }
        catch (Exception e)
        {
            output?.TryComplete(e);
            await stop.CancelAsync();
            throw;
        }
    }

    private static string DescribeScore(SlideRunRecord record) => record.PredictedClass is { } predicted
        ? $"{predicted} ({record.Probabilities!.Max():0.000})"
        : $"risk {record.Risk:0.###}";
}
