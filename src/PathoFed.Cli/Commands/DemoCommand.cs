using System.CommandLine;
using PathoFed.Cli.Demo;

namespace PathoFed.Cli.Commands;

/// <summary>
/// <c>pathofed demo</c>: the README's main job on an embedded default, every stage end to end on a synthetic cohort
/// (no download, no data of anyone's): slides at three hospitals, federated training, batch scoring, heatmaps, report.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(CliConsole console)
    {
        var output = new Option<string>("--out", "-o") { Description = "Output folder (a re-run resumes in it).", DefaultValueFactory = _ => "demo-out" };
        var slidesPerSite = new Option<int>("--slides-per-site") { Description = "Synthetic slides at each of the three hospitals (at least 4).", DefaultValueFactory = _ => 10 };
        var heldOut = new Option<int>("--held-out") { Description = "Held-out slides scored by the trained model (at least 2).", DefaultValueFactory = _ => 6 };
        var slideSize = new Option<long>("--slide-size") { Description = "Side of each synthetic slide in pixels at 0.5 µm/px.", DefaultValueFactory = _ => 4096 };
        var rounds = new Option<int>("--rounds") { Description = "Federated training rounds.", DefaultValueFactory = _ => 25 };
        var seed = new Option<int>("--seed") { Description = "Seed of the synthetic cohort and of training.", DefaultValueFactory = _ => 1 };

        var command = new Command("demo",
            "The whole pipeline on a synthetic cohort: pyramidal H&E slides with planted tumour foci at three hospitals, patch embeddings at each, " +
            "an ABMIL head trained federatedly by a coordinator and three site processes over mutual TLS, then the held-out slides scored " +
            "into scores.csv, heatmaps and report.html.");
        foreach (Option option in new Option[] { output, slidesPerSite, heldOut, slideSize, rounds, seed }) command.Add(option);
        command.SetAction(async (parse, cancellationToken) =>
        {
            DemoOptions options;
            try
            {
                options = new DemoOptions
                {
                    OutputFolder = parse.GetValue(output)!,
                    SlidesPerSite = parse.GetValue(slidesPerSite),
                    HeldOutSlides = parse.GetValue(heldOut),
                    SlideSizePx = parse.GetValue(slideSize),
                    Rounds = parse.GetValue(rounds),
                    Seed = parse.GetValue(seed),
                }.Validate();
            }
            catch (ArgumentException e)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }
            try
            {
                return await new DemoRun(console, options).RunAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                await console.Error.WriteLineAsync("cancelled: run 'pathofed demo' again with the same options to resume.");
                return ExitCodes.Cancelled;
            }
            catch (PathoFedException e)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.SomeFailed;
            }
        });
        return command;
    }
}
