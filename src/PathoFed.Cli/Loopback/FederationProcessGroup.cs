namespace PathoFed.Cli.Loopback;

/// <summary>
/// The child processes of one loopback federation, which live and die together: when one fails, the run times out or
/// is cancelled, or this process exits, every child is killed with its own children, so none is left behind.
/// </summary>
internal sealed class FederationProcessGroup : IDisposable
{
    private readonly List<FederationChildProcess> _children = [];
    private readonly EventHandler _onProcessExit;

    public FederationProcessGroup()
    {
        // Ctrl+C reaches us as cancellation and an exception as unwinding through Dispose; ProcessExit covers an
        // Environment.Exit or SIGTERM on the way. (A SIGKILL of this process cannot be caught.)
        _onProcessExit = (_, _) => KillAll();
        AppDomain.CurrentDomain.ProcessExit += _onProcessExit;
    }

    public IReadOnlyList<FederationChildProcess> Children
    {
        get { lock (_children) return [.. _children]; }
    }

    public FederationChildProcess Start(string name, PathofedLauncher launcher, IEnumerable<string> arguments, string logPath, Action<string>? onOutputLine = null)
    {
        FederationChildProcess child = FederationChildProcess.Start(name, launcher, arguments, logPath, onOutputLine);
        lock (_children) _children.Add(child);
        return child;
    }

    /// <summary>Waits until every child has exited with code 0.</summary>
    /// <exception cref="LoopbackFederationException">A child exited with another code, or <paramref name="timeout"/> passed; every child is killed first.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; every child is killed first.</exception>
    public async Task WaitAllAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var waits = Children.ToDictionary(child => child.WaitForExitAsync(deadline.Token));
        try
        {
            while (waits.Count > 0)
            {
                // Off the thread that completed the wait: that may be a child's output reader (a progress handler that
                // cancels), and killing and disposing the children waits for their readers.
                Task<int> exited = await Task.WhenAny(waits.Keys).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
                FederationChildProcess child = waits[exited];
                // Removed only once it has exited: at the deadline every wait is cancelled, and the child whose wait
                // throws first still runs and belongs in the timeout message.
                int exitCode = await exited;
                waits.Remove(exited);
                if (exitCode == ExitCodes.Ok) continue;
                KillAll();
                cancellationToken.ThrowIfCancellationRequested(); // Ctrl+C reached the children too: not their failure
                throw new LoopbackFederationException(
                    $"The {Describe(child)} process exited with code {exitCode}{Signal(exitCode)} (log {child.LogPath}); the other processes were stopped. Its last lines:{Environment.NewLine}{child.Tail()}");
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            KillAll();
            string running = string.Join("; ", waits.Values.Select(child => $"{Describe(child)} (log {child.LogPath})"));
            // The coordinator's lines say which round it reached; otherwise the first one still running.
            FederationChildProcess shown = waits.Values.FirstOrDefault(child => child.Name == LoopbackFederationFolder.CoordinatorName) ?? waits.Values.First();
            throw new LoopbackFederationException(
                $"The loopback federation did not finish within {timeout}: still running were {running}; all were stopped. The {Describe(shown)}'s last lines:{Environment.NewLine}{shown.Tail()}");
        }
        catch
        {
            KillAll();
            throw;
        }
    }

    /// <summary>Kills every child still running, each with the processes it started. Never throws.</summary>
    public void KillAll()
    {
        foreach (FederationChildProcess child in Children) child.Kill();
    }

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= _onProcessExit;
        foreach (FederationChildProcess child in Children) child.Dispose();
    }

    // .NET reports a child ended by a signal as 128 + the signal number on Unix (137: SIGKILL, e.g. the OOM killer).
    private static string Signal(int exitCode) =>
        !OperatingSystem.IsWindows() && exitCode is > 128 and < 160 ? $" (killed by signal {exitCode - 128})" : "";

    private static string Describe(FederationChildProcess child) =>
        child.Name == LoopbackFederationFolder.CoordinatorName ? $"coordinator (pid {child.Id})" : $"site '{child.Name}' (pid {child.Id})";
}
