using System.CommandLine;
using PathoFed.Features.Extractors;
using PathoFed.Features.Pipeline;
using PathoFed.Slides.Synthetic;
using PathoFed.Slides.Tiling;

namespace PathoFed.Cli.Commands;

/// <summary>
/// <c>pathofed demo</c>: the README's main job on an embedded default. Generates a realistic synthetic slide (no
/// download needed) and runs the pipeline stages built so far on it.
/// </summary>
internal static class DemoCommand
{
    private const long DemoSlideSidePx = 12_000;

    public static Command Create(CliConsole console)
    {
        var output = new Option<string>("--out", "-o") { Description = "Output folder.", DefaultValueFactory = _ => "demo-out" };
        var command = new Command("demo", "Generate a sample slide and run the pipeline built so far on it: tissue, patch grid, QC image, GeoJSON, patch embeddings.");
        command.Add(output);
        command.SetAction(async (parse, cancellationToken) =>
        {
            string folder = Path.GetFullPath(parse.GetValue(output)!);
            string slides = Path.Combine(folder, "slides");
            Directory.CreateDirectory(slides);

            string slide = Path.Combine(slides, "demo-slide.svs");
            if (!File.Exists(slide))
            {
                await console.Out.WriteLineAsync($"Generating a {DemoSlideSidePx:N0} x {DemoSlideSidePx:N0} px synthetic H&E slide (0.5 µm/px, pyramidal JPEG TIFF) ...");
                var spec = SyntheticSlideSpec.WithRandomTissue(DemoSlideSidePx, DemoSlideSidePx, seed: 2026);
                SyntheticSlideWriter.Write(slide, spec, cancellationToken: cancellationToken);
            }

            // Tiled at the default extractor's grid and embedded in one pass, as 'pathofed embed' does.
            var sources = SlideInputs.Resolve([slides]);
            string features = Path.Combine(folder, "features");
            int code = await EmbedCommand.RunAsync(console, HandETextureExtractor.Manifest, ExtractorRuntimeOptions.Default, EmbeddingPipelineOptions.Default,
                tilingSettings: null, sources, features, cancellationToken);
            if (code == ExitCodes.Ok)
            {
                string outputs = Path.Combine(features, "demo-slide");
                await console.Out.WriteLineAsync($"Look at {Path.Combine(outputs, "qc.png")} (tissue outline and patch grid); " +
                    $"import {Path.Combine(outputs, "tissue.geojson")} into QuPath over {slide}; " +
                    $"patch embeddings ({HandETextureExtractor.EmbeddingDim} H&E texture features each) are in {Path.Combine(outputs, "features.parquet")}.");
            }
            return code;
        });
        return command;
    }
}
