using System.CommandLine;
using PathoFed.Cli.Terminal;
using PathoFed.Features.Extractors;
using PathoFed.Features.Pipeline;
using PathoFed.Slides.Tiling;

namespace PathoFed.Cli.Commands;

/// <summary><c>pathofed embed</c>: patch embeddings per slide with an ONNX feature extractor, tiling first where needed.</summary>
internal static class EmbedCommand
{
    public static Command Create(CliConsole console)
    {
        var slides = SharedOptions.Slides();
        var output = SharedOptions.Out();
        var slideMpp = SharedOptions.SlideMpp();
        var extractor = new SharedOptions.Extractor();
        var tiling = new SharedOptions.Tiling();

        var command = new Command("embed",
            "Embed every slide's patches with a feature extractor into OUT/<slide>/features.parquet. Slides not tiled yet are tiled first " +
            "(at the extractor's µm/px and input size unless tiling options are given); finished slides are skipped on a re-run.");
        command.Add(slides);
        command.Add(output);
        command.Add(slideMpp);
        extractor.AddTo(command);
        tiling.AddTo(command);

        command.SetAction(async (parse, cancellationToken) =>
        {
            IReadOnlyList<SlideSource> sources;
            ExtractorManifest manifest;
            EmbeddingPipelineOptions pipelineOptions;
            ExtractorRuntimeOptions runtimeOptions;
            TilingSettings? tilingSettings;
            try
            {
                (manifest, runtimeOptions, pipelineOptions) = extractor.Bind(parse);
                tilingSettings = tiling.AnyGiven(parse) ? tiling.Bind(parse, EmbeddingJob.TilingFor(manifest).Grid) : null;
                sources = SlideInputs.Resolve(parse.GetValue(slides)!, parse.GetValue(slideMpp));
            }
            catch (Exception e) when (e is ArgumentException or PathoFedException)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }

            using IFeatureExtractor? model = await OpenAsync(console, manifest, runtimeOptions);
            if (model is null) return ExitCodes.Usage;
            return await EmbedAsync(console, model, pipelineOptions, tilingSettings, sources, parse.GetValue(output)!, $"Embedding ({manifest.Id})", cancellationToken);
        });
        return command;
    }

    /// <summary>Embeds every slide with an opened model, with progress and a summary; shared with verbs that embed.</summary>
    /// <param name="verb">Progress label, e.g. "Embedding (pathofed-he-texture-v1)".</param>
    public static Task<int> EmbedAsync(CliConsole console, IFeatureExtractor model, EmbeddingPipelineOptions pipelineOptions, TilingSettings? tilingSettings,
        IReadOnlyList<SlideSource> sources, string outputFolder, string verb, CancellationToken cancellationToken)
    {
        var job = new EmbeddingJob(model, outputFolder, tilingSettings, pipelineOptions);
        return SlideBatchRun.RunAsync(console, verb, "embedded", sources, outputFolder, (progress, token) => job.RunAsync(sources, progress, token), cancellationToken);
    }

    /// <summary>Opens and checks an extractor, logging the device it runs on; null (the error printed) when it cannot be used.</summary>
    public static async Task<IFeatureExtractor?> OpenAsync(CliConsole console, ExtractorManifest manifest, ExtractorRuntimeOptions runtimeOptions)
    {
        try
        {
            return OnnxFeatureExtractor.Open(manifest, runtimeOptions, new ConsoleLogger(console));
        }
        catch (ModelLoadException e)
        {
            await console.Error.WriteLineAsync($"error: {e.Message}");
            return null;
        }
    }
}
