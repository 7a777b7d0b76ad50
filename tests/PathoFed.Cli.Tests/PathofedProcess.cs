using System.Diagnostics;
using System.Text;

namespace PathoFed.Cli.Tests;

/// <summary>The built <c>pathofed</c> binary as a separate process, its output collected; killed if still running when disposed.</summary>
internal sealed class PathofedProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new(), _error = new();

    private PathofedProcess(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pathofed.dll"));
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["CI"] = "true";
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_error) _error.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static PathofedProcess Start(params string[] args) => new(args);

    public string Output { get { lock (_output) return _output.ToString(); } }

    public string Error { get { lock (_error) return _error.ToString(); } }

    public bool HasExited => _process.HasExited;

    /// <summary>Waits for the exit; on timeout kills the process and fails with what it printed.</summary>
    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"pathofed {string.Join(' ', _process.StartInfo.ArgumentList.Skip(1))} did not finish in {timeout}.\nstdout:\n{Output}\nstderr:\n{Error}");
        }
        _process.WaitForExit(); // flushes the asynchronous output readers
        return _process.ExitCode;
    }

    /// <summary>Runs to completion: exit code and output.</summary>
    public static async Task<(int ExitCode, string Out, string Error)> RunAsync(params string[] args)
    {
        using PathofedProcess process = Start(args);
        int code = await process.WaitAsync(TimeSpan.FromMinutes(2));
        return (code, process.Output, process.Error);
    }

    private bool _disposed;

    /// <summary>Kills the process if it still runs (SIGKILL, no cleanup: how tests simulate a crash). Safe to call twice.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }
}
