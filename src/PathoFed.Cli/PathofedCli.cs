using System.CommandLine;
using PathoFed.Cli.Commands;

namespace PathoFed.Cli;

/// <summary>The <c>pathofed</c> command: one verb per file under Commands/, no pipeline logic here.</summary>
public static class PathofedCli
{
    public static RootCommand Create(CliConsole console)
    {
        var root = new RootCommand("PathoFed: whole-slide images to patches, embeddings, MIL models and federated training, with the slides never leaving the hospital.");
        root.Add(TileCommand.Create(console));
        root.Add(EmbedCommand.Create(console));
        root.Add(TrainCommand.Create(console));
        root.Add(ScoreCommand.Create(console));
        root.Add(HeatmapCommand.Create(console));
        root.Add(ViewCommand.Create(console));
        root.Add(RunCommand.Create(console));
        root.Add(Commands.Fed.FedCommand.Create(console));
        root.Add(DemoCommand.Create(console));
        return root;
    }

    public static async Task<int> InvokeAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        RootCommand root = Create(console);
        ParseResult parse = root.Parse(args);
        var configuration = new InvocationConfiguration { Output = console.Out, Error = console.Error };
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) await console.Error.WriteLineAsync($"error: {error.Message}");
            await console.Error.WriteLineAsync("Run 'pathofed --help' for usage.");
            return ExitCodes.Usage;
        }
        return await parse.InvokeAsync(configuration, cancellationToken);
    }
}
