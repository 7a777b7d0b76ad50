using PathoFed.Cli;

namespace PathoFed.Cli.Tests;

/// <summary>Runs the root command in-process with captured output (tiatoolbox's CliRunner).</summary>
internal static class CliRunner
{
    public static async Task<(int ExitCode, string Out, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await PathofedCli.InvokeAsync(args, new CliConsole(output, error, Interactive: false));
        return (code, output.ToString(), error.ToString());
    }
}
