using System.Diagnostics;

namespace PathoFed.Cli.Loopback;

/// <summary>
/// One <c>pathofed</c> child of a loopback federation (the coordinator or a site): its standard output and error
/// written line by line to its log file, each output line also handed to a callback, the last lines kept for error messages.
/// Disposing kills it and its children if it still runs.
/// </summary>
internal sealed class FederationChildProcess : IDisposable
{
    private const int TailLines = 15;

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Queue<string> _tail = new();
    private readonly Action<string>? _onOutputLine;
    private bool _disposed, _logClosed;

    private FederationChildProcess(string name, string logPath, Process process, StreamWriter log, Action<string>? onOutputLine)
    {
        Name = name;
        LogPath = logPath;
        _process = process;
        _log = log;
        _onOutputLine = onOutputLine;
    }

    /// <summary>"coordinator" or the site's name.</summary>
    public string Name { get; }

    public string LogPath { get; }

    public int Id => _process.Id;

    /// <summary>Starts <c>pathofed ARGS</c>, its output appended to <paramref name="logPath"/>.</summary>
    /// <exception cref="LoopbackFederationException">The program cannot be started.</exception>
    public static FederationChildProcess Start(string name, PathofedLauncher launcher, IEnumerable<string> arguments, string logPath, Action<string>? onOutputLine = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)) { AutoFlush = true };
        var process = new Process { StartInfo = launcher.StartInfo(arguments) };
        var child = new FederationChildProcess(name, logPath, process, log, onOutputLine);
        process.OutputDataReceived += (_, e) => child.Receive(e.Data, isOutput: true);
        process.ErrorDataReceived += (_, e) => child.Receive(e.Data, isOutput: false);
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            log.Dispose();
            throw new LoopbackFederationException($"Cannot start the {name} process ({launcher}): {e.Message}", e);
        }
        // Before the readers start, so the header comes first: which process this was, for a reader of the log or a stray-process hunt.
        log.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"# {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss}Z pid {process.Id}: {string.Join(' ', process.StartInfo.ArgumentList.Prepend(process.StartInfo.FileName))}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for the exit and for the last output lines to reach the log; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        // WaitForExitAsync also waits for the end of the redirected streams.
        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines it printed (output and error), for error messages.</summary>
    public string Tail()
    {
        lock (_tail) return string.Join(Environment.NewLine, _tail);
    }

    /// <summary>Kills it and every process it started (SIGKILL); nothing if it has exited. Never throws.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // It exited between the check and the kill, or was never started: nothing left to stop.
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Kill();
        try
        {
            _process.WaitForExit(); // lets the output readers drain before the log closes
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        _process.Dispose();
        lock (_log)
        {
            _logClosed = true;
            _log.Dispose();
        }
    }

    private void Receive(string? line, bool isOutput)
    {
        if (line is null) return;
        lock (_log)
        {
            if (!_logClosed) _log.WriteLine(line);
        }
        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > TailLines) _tail.Dequeue();
        }
        if (isOutput) _onOutputLine?.Invoke(line);
    }
}
