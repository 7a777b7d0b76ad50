namespace PathoFed.Cli.Loopback;

/// <summary>
/// Ties a child <c>pathofed</c> to the process that started it: the parent keeps the write end of the child's standard
/// input open and never writes; when the parent dies for any reason (SIGKILL included, which runs no cleanup of its
/// own) the operating system closes that end, the child reads end-of-file and exits. Without it a killed
/// <c>pathofed demo</c> would leave its coordinator holding the port and its sites retrying for hours.
/// </summary>
internal static class ParentLifeline
{
    /// <summary>Set to <see cref="StandardInput"/> in a child's environment by <see cref="PathofedLauncher"/>.</summary>
    public const string EnvironmentVariable = "PATHOFED_PARENT_LIFELINE";

    /// <summary>The only lifeline there is: standard input.</summary>
    public const string StandardInput = "stdin";

    /// <summary>
    /// When this process was started with a lifeline, watches it on a background thread and exits with
    /// <see cref="ExitCodes.Cancelled"/> once it closes. Returns whether it watches.
    /// </summary>
    public static bool WatchIfRequested(TextWriter error)
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) != StandardInput) return false;
        var watcher = new Thread(() => WaitForEndOfInput(error)) { IsBackground = true, Name = "parent lifeline" };
        watcher.Start();
        return true;
    }

    private static void WaitForEndOfInput(TextWriter error)
    {
        var buffer = new byte[256];
        try
        {
            using Stream input = Console.OpenStandardInput();
            while (input.Read(buffer, 0, buffer.Length) > 0)
            {
                // The parent writes nothing; anything that arrives is ignored.
            }
        }
        catch (IOException)
        {
            // A broken pipe means the same as end-of-file: the parent is gone.
        }

        error.WriteLine($"pathofed (pid {Environment.ProcessId}): the process that started it is gone (its lifeline on standard input closed); stopping.");
        error.Flush();
        Environment.Exit(ExitCodes.Cancelled);
    }
}
