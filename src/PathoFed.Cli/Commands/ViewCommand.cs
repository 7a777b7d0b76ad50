using System.CommandLine;
using PathoFed.Heatmaps.Viewer;

namespace PathoFed.Cli.Commands;

/// <summary><c>pathofed view</c>: a local web app showing slides ranked by score, with the patch-score heatmap over each.</summary>
internal static class ViewCommand
{
    public static Command Create(CliConsole console)
    {
        var slides = new Option<string>("--slides") { Description = "Folder of slide files (searched recursively); only these slides are served.", Required = true };
        var results = new Option<string>("--results") { Description = "Folder 'pathofed score' wrote: scores.csv and patch-scores/<slide>.parquet.", Required = true };
        var port = new Option<int>("--port") { Description = "TCP port (0 picks a free one).", DefaultValueFactory = _ => ViewerOptions.DefaultPort };
        var host = new Option<string>("--host") { Description = "Address to listen on; loopback by default because slides are patient data (0.0.0.0 exposes them to the network).", DefaultValueFactory = _ => ViewerOptions.DefaultHost };

        var command = new Command("view", "Open slides and their heatmaps in the browser: a slide list ranked by score and a deep-zoom viewer with the heatmap overlay. Runs until Ctrl+C.");
        foreach (Option option in new Option[] { slides, results, port, host }) command.Add(option);

        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new ViewerOptions(parse.GetValue(slides)!, parse.GetValue(results)!, parse.GetValue(port), parse.GetValue(host)!);
            SlideViewerHost viewer;
            try
            {
                viewer = await SlideViewerHost.StartAsync(options, cancellationToken);
            }
            catch (Exception e) when (e is ArgumentException or PathoFedException or IOException)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }

            await using (viewer)
            {
                await console.Out.WriteLineAsync($"Viewing {viewer.SlideCount} slides at {viewer.Url} (Ctrl+C to stop)");
                try
                {
                    await viewer.WaitForShutdownAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C: the normal way to stop a viewer.
                }
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
