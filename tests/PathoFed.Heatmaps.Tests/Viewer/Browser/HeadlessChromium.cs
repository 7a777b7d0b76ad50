using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace PathoFed.Heatmaps.Tests.Viewer.Browser;

/// <summary>
/// The Debian <c>chromium</c> package run headless with a throw-away profile and DevTools on a port it picks itself
/// (read back from <c>DevToolsActivePort</c>). Dispose kills the whole process tree and deletes the profile.
/// </summary>
internal sealed class HeadlessChromium : IDisposable
{
    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

    private readonly Process _process;
    private readonly TempFolder _profile;

    private HeadlessChromium(Process process, TempFolder profile, int devToolsPort)
    {
        _process = process;
        _profile = profile;
        DevToolsPort = devToolsPort;
    }

    public int DevToolsPort { get; }

    /// <exception cref="InvalidOperationException">Chromium is not installed (tools/setup.sh installs it) or did not start in time.</exception>
    public static async Task<HeadlessChromium> LaunchAsync(int widthPx, int heightPx, TimeSpan timeout)
    {
        string executable = Candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                $"Chromium not found (looked for {string.Join(", ", Candidates)}): the viewer's browser test needs it. Run tools/setup.sh, which installs the Debian package 'chromium'.");
        var profile = new TempFolder();
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
        {
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--mute-audio",
            $"--window-size={widthPx},{heightPx}", "--force-device-scale-factor=1",
            $"--user-data-dir={profile.Path}", "--remote-debugging-port=0", "about:blank",
        })
        {
            start.ArgumentList.Add(argument);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException($"'{executable}' did not start.");
        // Drain the pipes so a chatty browser never blocks on a full one.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            int port = await WaitForDevToolsPortAsync(process, profile.File("DevToolsActivePort"), timeout);
            return new HeadlessChromium(process, profile, port);
        }
        catch
        {
            Kill(process);
            profile.Dispose();
            throw;
        }
    }

    /// <summary>The WebSocket address of the browser's first page (the about:blank it opened).</summary>
    public async Task<Uri> PageWebSocketAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var targets = await http.GetFromJsonAsync<JsonElement[]>($"http://127.0.0.1:{DevToolsPort}/json/list");
            foreach (JsonElement target in targets ?? [])
            {
                if (target.GetProperty("type").GetString() == "page") return new Uri(target.GetProperty("webSocketDebuggerUrl").GetString()!);
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Chromium listed no page target within {timeout.TotalSeconds} s.");
            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        Kill(_process);
        _process.Dispose();
        _profile.Dispose();
    }

    private static async Task<int> WaitForDevToolsPortAsync(Process process, string portFile, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"Chromium exited with code {process.ExitCode} before opening DevTools.");
            if (File.Exists(portFile))
            {
                string[] lines = await File.ReadAllLinesAsync(portFile);
                if (lines.Length >= 1 && int.TryParse(lines[0], out int port) && port > 0) return port;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"Chromium wrote no {Path.GetFileName(portFile)} within {timeout.TotalSeconds} s.");
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
