using System.CommandLine;
using PathoFed.Slides.Tiling;

namespace PathoFed.Cli.Commands;

/// <summary><c>pathofed tile</c>: find tissue and cut a patch grid on every slide.</summary>
internal static class TileCommand
{
    public static Command Create(CliConsole console)
    {
        var slides = SharedOptions.Slides();
        var output = SharedOptions.Out();
        var workers = SharedOptions.Workers();
        var slideMpp = SharedOptions.SlideMpp();
        var tiling = new SharedOptions.Tiling();

        var command = new Command("tile", "Find tissue and cut a patch grid at a target resolution. Writes per slide: patches.parquet, tissue.geojson, qc.png, slide.json.");
        command.Add(slides);
        command.Add(output);
        command.Add(workers);
        command.Add(slideMpp);
        tiling.AddTo(command);

        command.SetAction(async (parse, cancellationToken) =>
        {
            TilingSettings settings;
            IReadOnlyList<SlideSource> sources;
            try
            {
                settings = tiling.Bind(parse);
                sources = SlideInputs.Resolve(parse.GetValue(slides)!, parse.GetValue(slideMpp));
            }
            catch (Exception e) when (e is ArgumentException or PathoFedException)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }
            return await RunAsync(console, settings, sources, parse.GetValue(output)!, parse.GetValue(workers), cancellationToken);
        });
        return command;
    }

    /// <summary>Tiles <paramref name="sources"/> with progress and a summary; shared with verbs that tile first.</summary>
    public static async Task<int> RunAsync(CliConsole console, TilingSettings settings, IReadOnlyList<SlideSource> sources, string outputFolder, int workers, CancellationToken cancellationToken)
    {
        if (workers < 1)
        {
            await console.Error.WriteLineAsync($"error: --workers must be at least 1, not {workers}.");
            return ExitCodes.Usage;
        }
        var job = new TilingJob(settings, outputFolder, workers);
        return await SlideBatchRun.RunAsync(console, "Tiling", "tiled", sources, outputFolder, (progress, token) => job.RunAsync(sources, progress, token), cancellationToken);
    }
}
