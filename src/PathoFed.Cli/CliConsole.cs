namespace PathoFed.Cli;

/// <summary>Where a command writes: the process's streams, or writers a test captures. Progress bars only on a terminal.</summary>
public sealed record CliConsole(TextWriter Out, TextWriter Error, bool Interactive)
{
    public static CliConsole System { get; } = new(Console.Out, Console.Error,
        !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("CI") is null && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb"));
}
