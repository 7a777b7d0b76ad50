using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using PathoFed.Cli.Loopback;
using PathoFed.Cli.Terminal;
using PathoFed.Federation.Audit;
using PathoFed.Federation.Coordination;
using PathoFed.Mil.Tests.Experiments;
using Xunit.Abstractions;

namespace PathoFed.Cli.Tests;

/// <summary>The production loopback federation: a coordinator and three site processes, their credentials, logs, progress and failures.</summary>
[Collection(FederationProcessesCollection.Name)]
public sealed partial class LoopbackFederationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RunAsync_ThreeSites_TrainsAModelThatSeparatesUnseenSlidesReportingEveryRound()
    {
        using var temp = new TempFolder();
        IReadOnlyList<LoopbackSite> sites = await PlantedFederation.WriteSitesAsync(temp.File("cohort"));
        var reports = new List<FederationRoundProgress>();

        var clock = Stopwatch.StartNew();
        LoopbackFederationResult result = await LoopbackFederation.RunAsync(Options(temp, sites, rounds: 3), new SynchronousProgress<FederationRoundProgress>(reports.Add));
        output.WriteLine($"3 sites, 3 rounds: {clock.Elapsed.TotalSeconds:0.0} s in all, {result.Elapsed.TotalSeconds:0.0} s of processes");

        string federation = temp.File("federation");
        Assert.Equal(federation, result.FederationFolder);
        Assert.Equal(Path.Combine(federation, "state", "final-model"), result.ModelFolder);
        Assert.Equal(Path.Combine(federation, "state", CoordinatorEngine.AuditFileName), result.AuditLog);
        Assert.Equal(Path.Combine(federation, "logs"), result.LogsFolder);
        foreach (string file in new[] { "ca/ca.pem", "certs/coordinator.pfx", "certs/hospital-a.pfx", "plan.json", "sites.txt", "logs/coordinator.log" })
            Assert.True(File.Exists(Path.Combine(federation, file)), file);

        // Progress: the start, then every round with all three sites, the hold-out AUC and the training loss.
        Assert.Equal(0, reports[0].Round);
        Assert.Equal([1, 2, 3], reports.Skip(1).Select(r => r.Round));
        Assert.All(reports.Skip(1), r => Assert.True(r is { Rounds: 3, Contributors: 3, Sampled: 3, TrainLoss: not null, Failures: null } && r.Metrics.ContainsKey("auc"), r.ToString()));
        Assert.Equal(reports.Skip(1), result.Rounds);
        Assert.True(result.Rounds[^1].TrainLoss < result.Rounds[0].TrainLoss, $"training loss {result.Rounds[0].TrainLoss} -> {result.Rounds[^1].TrainLoss}");

        AuditVerification coordinatorAudit = AuditVerifier.Verify(result.AuditLog);
        Assert.True(coordinatorAudit.IsValid, coordinatorAudit.Reason);
        Assert.Equal(PlantedFederation.Sites, result.SiteAuditLogs.Keys.Order());
        foreach (LoopbackSite site in sites)
        {
            AuditVerification verification = AuditVerifier.Verify(result.SiteAuditLogs[site.Name]);
            Assert.True(verification.IsValid, verification.Reason);
            Assert.Contains("Finished after 3 rounds", File.ReadAllText(Path.Combine(federation, "logs", site.Name + ".log")));
        }
        Assert.Contains("round 3/3: 3 of 3 sites", File.ReadAllText(Path.Combine(federation, "logs", "coordinator.log")));
        Assert.Empty(RunningProcesses(temp));

        // The model pathofed score reads separates a cohort none of the sites has seen.
        PlantedCohort.Files unseen = await PlantedFederation.WriteUnseenCohortAsync(temp.File("unseen"));
        var (score, scoreOutput, scoreError) = await CliRunner.RunAsync("score", "--model", result.ModelFolder, "--features", unseen.FeaturesDir, "--out", temp.File("scores.csv"));
        Assert.True(score == ExitCodes.Ok, scoreError);
        Assert.Contains($"{unseen.Bags.Count} slides scored", scoreOutput);
        double auc = PlantedFederation.Auc(temp.File("scores.csv"), unseen);
        output.WriteLine($"AUC on {unseen.Bags.Count} unseen slides: {auc:0.000}");
        Assert.True(auc >= 0.85, $"AUC {auc:0.000} on unseen slides");
    }

    [Fact]
    public async Task RunAsync_SiteKilledMidRun_ThrowsPromptlyNamingTheSiteAndLeavesNoProcessRunning()
    {
        using var temp = new TempFolder();
        IReadOnlyList<LoopbackSite> sites = await PlantedFederation.WriteSitesAsync(temp.File("cohort"));
        int killed = 0;
        void KillHospitalB(FederationRoundProgress round)
        {
            if (round.Round != 1 || Interlocked.Exchange(ref killed, 1) == 1) return;
            using var process = Process.GetProcessById(StartedPids(temp, "hospital-b").Single());
            process.Kill(); // SIGKILL, as the OOM killer or an operator would
        }

        var clock = Stopwatch.StartNew();
        // Rounds and a round deadline the run could not reach in the test's time: only failing fast ends it.
        var error = await Assert.ThrowsAsync<LoopbackFederationException>(() =>
            LoopbackFederation.RunAsync(Options(temp, sites, rounds: 500), new SynchronousProgress<FederationRoundProgress>(KillHospitalB)));
        clock.Stop();

        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: {error.Message}");
        Assert.Equal(1, killed);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.Contains("site 'hospital-b'", error.Message);
        Assert.Contains("exited with code 137 (killed by signal 9)", error.Message);
        Assert.Contains(temp.File("federation/logs/hospital-b.log"), error.Message);
        AssertAllStartedAndNoneRunning(temp, expected: 4);
    }

    [Fact]
    public async Task RunAsync_SiteWithBadLabels_ThrowsNamingTheSiteAndItsErrorAndLeavesNoProcessRunning()
    {
        using var temp = new TempFolder();
        IReadOnlyList<LoopbackSite> sites = await PlantedFederation.WriteSitesAsync(temp.File("cohort"));
        File.WriteAllText(temp.File("bad-labels.csv"), "slide,outcome\nslide-000,maybe\n");
        LoopbackSite[] broken = [sites[0], sites[1], sites[2] with { LabelsCsv = temp.File("bad-labels.csv") }];

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<LoopbackFederationException>(() => LoopbackFederation.RunAsync(Options(temp, broken, rounds: 3)));

        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: {error.Message}");
        Assert.Contains("site 'hospital-c'", error.Message);
        Assert.Contains("bad-labels.csv", error.Message); // the site's own last words name the file
        Assert.Contains(temp.File("federation/logs/hospital-c.log"), error.Message);
        AssertAllStartedAndNoneRunning(temp, expected: 4);
    }

    [Fact]
    public async Task RunAsync_SiteWithoutFeatures_ThrowsNamingTheSiteAndLeavesNoProcessRunning()
    {
        using var temp = new TempFolder();
        IReadOnlyList<LoopbackSite> sites = await PlantedFederation.WriteSitesAsync(temp.File("cohort"));
        Directory.CreateDirectory(temp.File("empty"));
        LoopbackSite[] broken = [sites[0], sites[1] with { FeaturesFolder = temp.File("empty") }, sites[2]];

        var error = await Assert.ThrowsAsync<LoopbackFederationException>(() => LoopbackFederation.RunAsync(Options(temp, broken, rounds: 3)));

        output.WriteLine(error.Message);
        Assert.Contains("site 'hospital-b'", error.Message);
        Assert.Contains($"exited with code {ExitCodes.Usage}", error.Message);
        Assert.Contains(temp.File("federation/logs/hospital-b.log"), error.Message);
        Assert.Contains("error:", error.Message); // the site's own last words
        AssertAllStartedAndNoneRunning(temp, expected: 4);
    }

    [Fact]
    public async Task RunAsync_Cancelled_KillsEveryProcess()
    {
        using var temp = new TempFolder();
        IReadOnlyList<LoopbackSite> sites = await PlantedFederation.WriteSitesAsync(temp.File("cohort"));
        using var cancel = new CancellationTokenSource();

        // Cancelled from the progress handler (on the coordinator's output reader) once the first round is in, while every site trains.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => LoopbackFederation.RunAsync(Options(temp, sites, rounds: 500),
            new SynchronousProgress<FederationRoundProgress>(round => { if (round.Round == 1) cancel.Cancel(); }), cancel.Token));

        Assert.True(cancel.IsCancellationRequested);
        AssertAllStartedAndNoneRunning(temp, expected: 4);
        Assert.DoesNotContain("round 500/500", File.ReadAllText(temp.File("federation/logs/coordinator.log")));
    }

    [Fact]
    public async Task RunAsync_ProgressHandlerThrows_ThrowsWithItAndKillsEveryProcess()
    {
        using var temp = new TempFolder();
        IReadOnlyList<LoopbackSite> sites = await PlantedFederation.WriteSitesAsync(temp.File("cohort"));

        var error = await Assert.ThrowsAsync<LoopbackFederationException>(() => LoopbackFederation.RunAsync(Options(temp, sites, rounds: 500),
            new SynchronousProgress<FederationRoundProgress>(round => { if (round.Round == 1) throw new InvalidOperationException("display gone"); })));

        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Contains("display gone", error.Message);
        AssertAllStartedAndNoneRunning(temp, expected: 4);
    }

    [Fact]
    public async Task RunAsync_PastItsTimeout_ThrowsNamingTheRunningProcessesAndKillsThem()
    {
        using var temp = new TempFolder();
        IReadOnlyList<LoopbackSite> sites = await PlantedFederation.WriteSitesAsync(temp.File("cohort"));

        var error = await Assert.ThrowsAsync<LoopbackFederationException>(() =>
            LoopbackFederation.RunAsync(Options(temp, sites, rounds: 50) with { Timeout = TimeSpan.FromSeconds(3) }));

        output.WriteLine(error.Message);
        output.WriteLine(File.ReadAllText(temp.File("federation/logs/coordinator.log")));
        Assert.Contains("did not finish within 00:00:03", error.Message);
        Assert.Contains("coordinator (pid", error.Message);
        AssertAllStartedAndNoneRunning(temp, expected: 4);
    }

    [Fact]
    public void Prepare_Again_ReusesTheCaAndCertificatesWhileValid()
    {
        using var temp = new TempFolder();
        var folder = new LoopbackFederationFolder(temp.Path);
        folder.Prepare(PlantedFederation.Plan(rounds: 3, minSites: 3, deadlineSeconds: 60), PlantedFederation.Sites);
        byte[] ca = File.ReadAllBytes(folder.CaCertificate), site = File.ReadAllBytes(folder.Certificate("hospital-a"));

        folder.Prepare(PlantedFederation.Plan(rounds: 3, minSites: 3, deadlineSeconds: 60), [.. PlantedFederation.Sites, "hospital-d"]);

        Assert.Equal(ca, File.ReadAllBytes(folder.CaCertificate));
        Assert.Equal(site, File.ReadAllBytes(folder.Certificate("hospital-a")));
        Assert.True(File.Exists(folder.Certificate("hospital-d"))); // a new site gets its certificate
        Assert.Contains("hospital-d", File.ReadAllLines(folder.AllowListPath));
    }

    [Fact]
    public void Prepare_CertificateOfAnotherCa_IsIssuedAgain()
    {
        using var temp = new TempFolder();
        using var other = new TempFolder();
        var folder = new LoopbackFederationFolder(temp.Path);
        var stranger = new LoopbackFederationFolder(other.Path);
        folder.Prepare(PlantedFederation.Plan(rounds: 3, minSites: 3, deadlineSeconds: 60), PlantedFederation.Sites);
        stranger.Prepare(PlantedFederation.Plan(rounds: 3, minSites: 3, deadlineSeconds: 60), PlantedFederation.Sites);
        File.Copy(stranger.Certificate("hospital-b"), folder.Certificate("hospital-b"), overwrite: true);

        folder.Prepare(PlantedFederation.Plan(rounds: 3, minSites: 3, deadlineSeconds: 60), PlantedFederation.Sites);

        Assert.NotEqual(File.ReadAllBytes(stranger.Certificate("hospital-b")), File.ReadAllBytes(folder.Certificate("hospital-b")));
    }

    [Theory]
    [InlineData("round 2/5: 3 of 3 sites; auc 0.812, balanced_accuracy 0.5, f1 0, train_loss 0.55; model 0123456789ab", 2, 5, 3, 3, null, 0.55)]
    [InlineData("round 4/5: 2 of 3 sites (hospital-c: no valid update by the deadline (8 s); see its log), securely aggregated; train_loss 0.5; privacy spent ε 1.2 at δ 1E-05; model 0123456789ab",
        4, 5, 2, 3, "hospital-c: no valid update by the deadline (8 s); see its log", 0.5)]
    [InlineData("round 1/1: 1 of 1 sites; ; model 0123456789ab", 1, 1, 1, 1, null, null)]
    [InlineData("Coordinator listening on 127.0.0.1:7443; 20 rounds of Abmil (fedavg), resuming after round 7; waiting for 2 site(s).", 7, 20, 0, 0, null, null)]
    public void Parse_CoordinatorLine_ReadsTheRound(string line, int round, int rounds, int contributors, int sampled, string? failures, double? trainLoss)
    {
        FederationRoundProgress? progress = FederationRoundProgress.Parse(line);

        Assert.NotNull(progress);
        Assert.Equal((round, rounds, contributors, sampled, failures, trainLoss),
            (progress.Round, progress.Rounds, progress.Contributors, progress.Sampled, progress.Failures, progress.TrainLoss));
    }

    [Theory]
    [InlineData("Finished: model folder state/final-model; audit log state/audit.log")]
    [InlineData("warning: hospital-c joined late")]
    public void Parse_OtherLine_IsNull(string line) => Assert.Null(FederationRoundProgress.Parse(line));

    private static LoopbackFederationOptions Options(TempFolder temp, IReadOnlyList<LoopbackSite> sites, int rounds) => new()
    {
        WorkFolder = temp.Path,
        Plan = PlantedFederation.Plan(rounds, minSites: 3, deadlineSeconds: 120),
        Sites = sites,
        Timeout = TimeSpan.FromMinutes(3),
        Linger = TimeSpan.FromSeconds(2),
    };

    /// <summary>Every process the logs say was started (their "pid N" headers) has gone, and nothing else names the work folder.</summary>
    private static void AssertAllStartedAndNoneRunning(TempFolder temp, int expected)
    {
        int[] started = [.. Directory.GetFiles(temp.File("federation/logs"), "*.log").SelectMany(log => StartedPids(temp, Path.GetFileNameWithoutExtension(log)))];
        Assert.Equal(expected, started.Length);
        Assert.All(started, pid => Assert.False(IsRunning(pid), $"pid {pid} still runs"));
        Assert.Empty(RunningProcesses(temp));
    }

    // The pid header each start writes at the top of the child's log.
    private static IEnumerable<int> StartedPids(TempFolder temp, string name) =>
        ReadShared(temp.File($"federation/logs/{name}.log")).Split('\n').Select(line => PidHeader().Match(line)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    // Any process, child or grandchild, whose command line names the test's folder.
    private static List<int> RunningProcesses(TempFolder temp)
    {
        var found = new List<int>();
        if (!OperatingSystem.IsLinux()) return found;
        foreach (string proc in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), CultureInfo.InvariantCulture, out int pid) || pid == Environment.ProcessId) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(proc, "cmdline")).Contains(temp.Path, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or another user's.
            }
        }
        return found;
    }

    [GeneratedRegex(@"^# \S+ \S+ pid (\d+): ")]
    private static partial Regex PidHeader();
}
