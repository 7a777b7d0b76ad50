using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using PathoFed.Cli.Loopback;
using Xunit.Abstractions;

namespace PathoFed.Cli.Tests;

/// <summary>A loopback federation's child processes die with the <c>pathofed</c> that started them, even when it is SIGKILLed.</summary>
[Collection(FederationProcessesCollection.Name)]
public sealed partial class ParentLifelineTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Demo_KilledDuringFederation_TakesItsCoordinatorAndSitesWithIt()
    {
        using var temp = new TempFolder();
        string root = temp.File("demo");
        // Enough rounds that the federation is still running when the demo is killed.
        using PathofedProcess demo = PathofedProcess.Start("demo", "--out", root, "--slides-per-site", "4", "--held-out", "2", "--slide-size", "2048", "--rounds", "1000");
        string logs = Path.Combine(root, "federation", "logs");

        int[] children = await WaitForChildrenAsync(logs, expected: 4, demo, TimeSpan.FromMinutes(3));
        Assert.All(children, pid => Assert.True(IsRunning(pid), $"child {pid} is not running before the kill"));
        demo.Dispose(); // SIGKILL: the demo runs none of its own cleanup

        var deadline = Stopwatch.StartNew();
        while (children.Any(IsRunning) && deadline.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(200);
        int[] left = [.. children.Where(IsRunning)];
        foreach (int pid in left) Process.GetProcessById(pid).Kill(entireProcessTree: true);

        Assert.True(left.Length == 0, $"still running 30 s after the demo was killed: {string.Join(", ", left)}");
        log.WriteLine($"all {children.Length} children gone {deadline.Elapsed.TotalSeconds:0.0} s after the kill");
    }

    [Fact]
    public async Task LaunchedChild_WhoseParentGoesAway_StopsEvenWhenItWouldWaitForever()
    {
        using var temp = new TempFolder();
        // The viewer serves until Ctrl+C and prints nothing meanwhile: only the lifeline can stop it.
        ProcessStartInfo start = PathofedLauncher.Current().StartInfo(["view", "--slides", temp.Path, "--results", temp.Path, "--port", "0"]);
        using Process child = Process.Start(start)!;
        Task<string> errors = child.StandardError.ReadToEndAsync();
        try
        {
            string? line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Contains("Viewing 0 slides at http://", line);

            child.StandardInput.Close(); // what the operating system does to the pipe when the parent dies

            await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(ExitCodes.Cancelled, child.ExitCode);
            Assert.Contains("the process that started it is gone", await errors);
        }
        finally
        {
            if (!child.HasExited) child.Kill(entireProcessTree: true);
        }
    }

    /// <summary>The pids in the children's log headers ("# time pid N: command"), once <paramref name="expected"/> logs name one.</summary>
    private static async Task<int[]> WaitForChildrenAsync(string logs, int expected, PathofedProcess demo, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout && !demo.HasExited)
        {
            int[] pids = Directory.Exists(logs)
                ? [.. Directory.GetFiles(logs, "*.log").Select(PidInHeader).Where(pid => pid > 0)]
                : [];
            // Rounds under way: the coordinator has logged a finished round, so every child is up.
            if (pids.Length == expected && File.Exists(Path.Combine(logs, "coordinator.log"))
                && ReadShared(Path.Combine(logs, "coordinator.log")).Contains("round 1/", StringComparison.Ordinal))
                return pids;
            await Task.Delay(250);
        }
        Assert.Fail($"the demo did not start {expected} federation processes in {timeout} (or exited first).\nstdout:\n{demo.Output}\nstderr:\n{demo.Error}");
        return [];
    }

    private static int PidInHeader(string logPath)
    {
        Match match = HeaderPid().Match(ReadShared(logPath));
        return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new StreamReader(stream).ReadToEnd();
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using Process process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process any more
        }
    }

    [GeneratedRegex(@"^# \S+ \S+ pid (\d+):", RegexOptions.Multiline)]
    private static partial Regex HeaderPid();
}
