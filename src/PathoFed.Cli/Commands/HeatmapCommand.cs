using System.CommandLine;
using System.Globalization;
using PathoFed.Heatmaps;

namespace PathoFed.Cli.Commands;

/// <summary><c>pathofed heatmap</c>: draws one slide's per-patch scores as images, QuPath GeoJSON and an aligned pyramidal TIFF.</summary>
internal static class HeatmapCommand
{
    public static Command Create(CliConsole console)
    {
        var slide = new Option<string>("--slide") { Description = "The slide file.", Required = true };
        var scores = new Option<string>("--scores") { Description = "Its per-patch scores: patch-scores/<slide>.parquet from 'pathofed score'.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output folder.", Required = true };
        var colormap = new Option<HeatmapColormap>("--cmap") { Description = "jet or viridis.", DefaultValueFactory = _ => HeatmapColormap.Jet };
        var alpha = new Option<double>("--alpha") { Description = "Heatmap opacity over the thumbnail (0-1).", DefaultValueFactory = _ => 0.4 };
        var smooth = new Option<bool>("--smooth") { Description = "Gaussian smoothing of the score field (no-data stays empty)." };
        var normalization = new Option<HeatmapNormalization>("--normalize") { Description = "percentile (clip 1-99%) or rank.", DefaultValueFactory = _ => HeatmapNormalization.Percentile };
        var gallery = new Option<int>("--top") { Description = "Patches in each row of the gallery (highest and lowest scores).", DefaultValueFactory = _ => 8 };

        var command = new Command("heatmap", "Draw a slide's patch scores: overlay.png (thumbnail + heatmap + colour bar), heatmap-raw.png/.tif, gallery.png " +
            "(top and bottom patches), heatmap.geojson (QuPath detections with a score measurement), heatmap.tif (full-resolution pyramid aligned to the slide).")
        {
            slide, scores, output, colormap, alpha, smooth, normalization, gallery,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var options = new HeatmapOptions
                {
                    SlidePath = parse.GetValue(slide)!,
                    ScoresPath = parse.GetValue(scores)!,
                    OutputFolder = parse.GetValue(output)!,
                    Colormap = parse.GetValue(colormap),
                    Alpha = parse.GetValue(alpha),
                    Smooth = parse.GetValue(smooth),
                    Normalization = parse.GetValue(normalization),
                    GalleryCount = parse.GetValue(gallery),
                }.Validate();
                HeatmapResult result = await HeatmapExport.RunAsync(options, cancellationToken);
                string files = string.Join(", ", result.Files.Select(Path.GetFileName));
                await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{result.PatchCount} patches on a {result.Columns} x {result.Rows} grid, colour bar {result.LowScore:0.####} to {result.HighScore:0.####}. Wrote {files} in {Path.GetFullPath(result.OutputFolder)}"));
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is PathoFedException or ArgumentException)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }
        });
        return command;
    }
}
