using System.CommandLine;

namespace PathoFed.Cli.Commands;

/// <summary><c>pathofed demo</c>: the README's main job on an embedded default (placeholder until the generator lands).</summary>
internal static class DemoCommand
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("demo", "Run the pipeline on a generated sample slide.");
        command.SetAction(_ => ExitCodes.Ok);
        return command;
    }
}
