using System.CommandLine;
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
        var command = new Command("demo", "Generate a sample slide and run the pipeline on it: tissue, patch grid, QC image, GeoJSON.");
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

            var sources = SlideInputs.Resolve([slides]);
            int code = await TileCommand.RunAsync(console, TilingSettings.Default, sources, Path.Combine(folder, "tiles"), Environment.ProcessorCount, cancellationToken);
            if (code == ExitCodes.Ok)
            {
                string tiles = Path.Combine(folder, "tiles", "demo-slide");
                await console.Out.WriteLineAsync($"Look at {Path.Combine(tiles, "qc.png")} (tissue outline and patch grid); " +
                    $"import {Path.Combine(tiles, "tissue.geojson")} into QuPath over {slide}.");
            }
            return code;
        });
        return command;
    }
}
