using System.CommandLine;
using PathoFed.Features.Extractors;
using PathoFed.Features.Pipeline;
using PathoFed.Heatmaps;
using PathoFed.Heatmaps.Batch;
using PathoFed.Mil;
using PathoFed.Mil.Data;
using PathoFed.Mil.Experiments;
using PathoFed.Mil.Models;
using PathoFed.Slides.Tiling;

namespace PathoFed.Cli.Commands;

/// <summary><c>pathofed run</c>: a folder or manifest of slides to scores, heatmaps and a report in one resumable, shardable command.</summary>
internal static class RunCommand
{
    public static Command Create(CliConsole console)
    {
        var slides = new Option<string[]>("--slides")
        {
            Description = "Slide files, folders (searched recursively) or manifest CSVs (columns: path, optional slide_id, mpp).",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var model = new Option<string>("--model", "-m") { Description = "MIL model folder (from 'pathofed train' or a federation's final-model).", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output folder, shared by every shard of a cohort.", Required = true };
        var shard = new Option<string>("--shard")
        {
            Description = "i/n: score only shard i (0-based) of n, every n-th slide of the list, for a cluster job array writing into one --out.",
            DefaultValueFactory = _ => SlideShard.All.ToString(),
        };
        var slideMpp = SharedOptions.SlideMpp();
        var extractor = new SharedOptions.Extractor("--extractor");
        extractor.Model.Description = "Feature extractor (default: the one the model was trained on): an id, a manifest .json, or an .onnx with a manifest beside it.";
        var colormap = new Option<HeatmapColormap>("--cmap") { Description = "Heatmap colour map: jet or viridis.", DefaultValueFactory = _ => HeatmapColormap.Jet };
        var normalization = new Option<HeatmapNormalization>("--normalize") { Description = "Heatmap scaling: percentile (clip 1-99%) or rank.", DefaultValueFactory = _ => HeatmapNormalization.Percentile };
        var smooth = new Option<bool>("--smooth") { Description = "Gaussian smoothing of the heatmaps' score fields." };
        var labels = new Option<string>("--labels")
        {
            Description = "Known labels of the slides (CSV as for 'train': slide_id, patient_id, label), for a classification model: report.html then shows accuracy and AUC.",
        };

        var command = new Command("run",
            "Score a batch of slides in one go: tile, embed, score and draw heatmaps for every slide, streaming slides through the stages, " +
            "then write scores.csv, errors.csv and report.html. Re-running resumes; --shard splits a cohort over machines.");
        foreach (Option option in new Option[] { slides, model, output, shard, slideMpp, labels, colormap, normalization, smooth }) command.Add(option);
        extractor.AddTo(command);

        command.SetAction(async (parse, cancellationToken) =>
        {
            TrainedHead head;
            IReadOnlyList<SlideSource> all, sources;
            ExtractorManifest manifest;
            ExtractorRuntimeOptions runtimeOptions;
            EmbeddingPipelineOptions pipelineOptions;
            SlideShard part;
            IReadOnlyDictionary<string, string>? trueLabels;
            try
            {
                head = TrainedHead.Load(parse.GetValue(model)!);
                MilModelConfig config = head.Model.Config;
                trueLabels = parse.GetValue(labels) is { } labelsCsv ? ReadTrueLabels(labelsCsv, config) : null;
                (manifest, runtimeOptions, pipelineOptions) = extractor.Bind(parse, defaultModel: config.Features.ExtractorId);
                part = SlideShard.Parse(parse.GetValue(shard)!);
                all = SlideInputs.Resolve(parse.GetValue(slides)!, parse.GetValue(slideMpp));
                sources = part.Select(all);
            }
            catch (Exception e) when (e is ArgumentException or PathoFedException)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }
            if (part.Count > 1) await console.Out.WriteLineAsync($"Shard {part}: {sources.Count} of {all.Count} slides.");

            using IFeatureExtractor? features = await EmbedCommand.OpenAsync(console, manifest, runtimeOptions);
            if (features is null) return ExitCodes.Usage;
            BatchScoringJob job;
            try
            {
                job = new BatchScoringJob(features, head, parse.GetValue(output)!, new BatchScoringOptions
                {
                    Embedding = pipelineOptions,
                    Colormap = parse.GetValue(colormap),
                    Normalization = parse.GetValue(normalization),
                    Smooth = parse.GetValue(smooth),
                    TrueLabels = trueLabels,
                    Command = string.Join(' ', ["pathofed", .. parse.Tokens.Select(t => t.Value.Contains(' ') ? $"\"{t.Value}\"" : t.Value)]),
                });
            }
            catch (MilException e)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }

            (int code, BatchScoringResult? result) = await ScoreAsync(console, job, sources, $"Scoring ({job.Model.Name})", cancellationToken);
            if (result is not null) await PrintWhereAsync(console, job.Layout, result, parse.GetValue(slides)!);
            return code;
        });
        return command;
    }

    /// <summary>
    /// Runs a batch-scoring job with progress and the one-line summary, then the stages' busy times; the result is null
    /// when there were no slides or the run was cancelled.
    /// </summary>
    public static async Task<(int Code, BatchScoringResult? Result)> ScoreAsync(CliConsole console, BatchScoringJob job, IReadOnlyList<SlideSource> sources, string verb,
        CancellationToken cancellationToken)
    {
        BatchScoringResult? result = null;
        int code = await SlideBatchRun.RunAsync(console, verb, "scored", sources, job.Layout.Root,
            async (progress, token) => (result = await job.RunAsync(sources, progress, token)).Batch, cancellationToken);
        if (result is { Batch.Done: > 0 }) await console.Out.WriteLineAsync($"Stages (running at once): {result.Stages}.");
        return (code, result);
    }

    /// <summary>Class names by slide id from a labels file, for the report's metrics.</summary>
    /// <exception cref="MilException">The file is unreadable, or the model is not a classifier.</exception>
    private static Dictionary<string, string> ReadTrueLabels(string path, MilModelConfig model)
    {
        if (model.Task != MilTask.Classify) throw new MilException($"--labels '{path}': known labels are shown for classification models only; this model predicts {model.Task.ToString().ToLowerInvariant()}");
        return LabelsCsv.Read(path, MilTask.Classify, allowSingleClass: true).ClassNameBySlide();
    }

    private static async Task PrintWhereAsync(CliConsole console, BatchScoringLayout layout, BatchScoringResult result, string[] slideInputs)
    {
        int scored = result.Published.Count(r => r.Ok);
        await console.Out.WriteLineAsync($"The folder now holds {scored} scored and {result.Published.Count - scored} failed slides for this model.");
        await console.Out.WriteLineAsync($"  scores:   {layout.ScoresCsv}");
        await console.Out.WriteLineAsync($"  heatmaps: {layout.HeatmapsFolder}/<slide>/ (overlay.png, gallery.png, heatmap.geojson for QuPath, heatmap.tif)");
        if (File.Exists(layout.Report)) await console.Out.WriteLineAsync($"  report:   {layout.Report}");
        if (slideInputs is [var folder] && Directory.Exists(folder))
        {
            await console.Out.WriteLineAsync($"  viewer:   pathofed view --slides {folder} --results {layout.Root}");
        }
    }
}
