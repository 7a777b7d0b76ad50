using System.CommandLine;
using PathoFed.Mil;
using PathoFed.Mil.Experiments;

namespace PathoFed.Cli.Commands;

/// <summary><c>pathofed score</c>: per-slide predictions of a trained head, and per-patch evidence for heatmaps.</summary>
internal static class ScoreCommand
{
    public static Command Create(CliConsole console)
    {
        var model = new Option<string>("--model", "-m") { Description = "Model folder from 'pathofed train'.", Required = true };
        var features = new Option<string>("--features") { Description = "Folder of <slide>/features.parquet, from the extractor the model was trained on.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "scores.csv to write (one line per slide; skipped slides with the reason).", Required = true };
        var patchScores = new Option<string?>("--patch-scores") { Description = $"Folder for <slide>.parquet per-patch attention or tile scores (default: '{MilScoring.PatchScoresFolderName}' beside --out)." };

        var command = new Command("score", "Score slides with a trained MIL head: probability per class or relapse risk per slide, plus per-patch scores for heatmaps.");
        foreach (Option option in new Option[] { model, features, output, patchScores }) command.Add(option);

        command.SetAction(async (parse, cancellationToken) =>
        {
            string scoresCsv = parse.GetValue(output)!;
            string patchFolder = parse.GetValue(patchScores) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(scoresCsv))!, MilScoring.PatchScoresFolderName);
            ScoringResult result;
            try
            {
                TrainedHead head = TrainedHead.Load(parse.GetValue(model)!);
                result = await MilScoring.ScoreAsync(head, parse.GetValue(features)!, scoresCsv, patchFolder, cancellationToken: cancellationToken);
            }
            catch (MilException e)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }

            foreach (SlideScore skipped in result.Slides.Where(s => s.SkipReason is not null)) await console.Error.WriteLineAsync($"skipped {skipped.SlideId}: {skipped.SkipReason}");
            await console.Out.WriteLineAsync($"{result.Scored} slides scored, {result.Skipped} skipped. Scores: {Path.GetFullPath(scoresCsv)}; per-patch scores: {patchFolder}");
            return result.Skipped > 0 ? ExitCodes.SomeFailed : ExitCodes.Ok;
        });
        return command;
    }
}
