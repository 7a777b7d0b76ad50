using PathoFed.Cli.Loopback;
using PathoFed.Federation.Audit;
using PathoFed.Federation.Coordination;

namespace PathoFed.Cli.Tests;

/// <summary>A coordinator and three sites as separate pathofed processes on loopback, with mutual TLS from the federation's own CA.</summary>
[Collection(FederationProcessesCollection.Name)]
public sealed class FederationProcessTests
{
    private static readonly string[] Sites = PlantedFederation.Sites;

    [Fact]
    public async Task ServeAndJoin_ThreeSiteProcesses_TrainTheRoundsAndLeaveVerifiableAuditLogs()
    {
        using var temp = new TempFolder();
        var federation = await Federation.CreateAsync(temp, rounds: 3, minSites: 3, deadlineSeconds: 120);

        using PathofedProcess coordinator = federation.StartCoordinator();
        PathofedProcess[] sites = Sites.Select(federation.StartSite).ToArray();
        try
        {
            foreach (PathofedProcess site in sites) Assert.True(await site.WaitAsync(TimeSpan.FromMinutes(4)) == 0, Explain(site, coordinator));
            Assert.True(await coordinator.WaitAsync(TimeSpan.FromMinutes(1)) == 0, coordinator.Error);
        }
        finally
        {
            foreach (PathofedProcess site in sites) site.Dispose();
        }

        Assert.Contains("round 3/3: 3 of 3 sites", coordinator.Output);
        Assert.Contains("Finished after 3 rounds", sites[0].Output);
        Assert.True(File.Exists(Path.Combine(federation.FinalModel, "weights.safetensors")));
        Assert.True(AuditVerifier.Verify(federation.CoordinatorAudit).IsValid);
        foreach (string site in Sites)
        {
            AuditVerification verification = AuditVerifier.Verify(federation.SiteAudit(site));
            Assert.True(verification.IsValid, verification.Reason);
        }

        // The federated model scores like any trained model.
        var (score, scoreOutput, scoreError) = await CliRunner.RunAsync("score", "--model", federation.FinalModel,
            "--features", federation.Features("hospital-a"), "--out", temp.File("scores.csv"));
        Assert.True(score == ExitCodes.Ok, scoreError);
        Assert.Contains("20 slides scored", scoreOutput);
    }

    [Fact]
    public async Task Coordinator_KilledAndRestarted_SitesReconnectAndTrainingFinishes()
    {
        using var temp = new TempFolder();
        var federation = await Federation.CreateAsync(temp, rounds: 6, minSites: 3, deadlineSeconds: 120, localEpochs: 600); // rounds of seconds: killed in round 3 however late the kill comes

        PathofedProcess first = federation.StartCoordinator();
        PathofedProcess[] sites = Sites.Select(federation.StartSite).ToArray();
        using PathofedProcess? restarted = await KillAfterRoundThenRestartAsync(first, federation);
        try
        {
            foreach (PathofedProcess site in sites) Assert.True(await site.WaitAsync(TimeSpan.FromMinutes(4)) == 0, Explain(site, restarted));
            Assert.True(await restarted.WaitAsync(TimeSpan.FromMinutes(1)) == 0, restarted.Error);
        }
        finally
        {
            foreach (PathofedProcess site in sites) site.Dispose();
        }

        var resumed = System.Text.RegularExpressions.Regex.Match(restarted.Output, "resuming after round (\\d+)");
        Assert.True(resumed.Success, restarted.Output);
        int done = int.Parse(resumed.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(done, 1, 5); // killed mid-training (round 2 checkpointed; its state may not have landed yet)
        Assert.Contains("round 6/6", restarted.Output);
        Assert.DoesNotContain($"round {done}/6", restarted.Output); // finished rounds are not redone
        Assert.Contains($"round {done + 1}/6", restarted.Output);
        Assert.True(AuditVerifier.Verify(federation.CoordinatorAudit).IsValid);
    }

    [Fact]
    public async Task Site_KilledMidTraining_RoundsCloseAtTheDeadlineWithTheOthers()
    {
        using var temp = new TempFolder();
        var federation = await Federation.CreateAsync(temp, rounds: 3, minSites: 2, deadlineSeconds: 8, localEpochs: 300);

        using PathofedProcess coordinator = federation.StartCoordinator();
        // The site to be killed joins first, so the first round that opens samples it.
        PathofedProcess doomed = federation.StartSite(Sites[2]);
        await WaitForFileTextAsync(federation.SiteAudit("hospital-c"), "\"joined\"", TimeSpan.FromMinutes(2));
        PathofedProcess[] sites = [federation.StartSite(Sites[0]), federation.StartSite(Sites[1]), doomed];
        try
        {
            await WaitForFileTextAsync(federation.SiteAudit("hospital-c"), "\"model_received\"", TimeSpan.FromMinutes(2));
            sites[2].Dispose(); // SIGKILL while it trains round 1: no goodbye, its update never comes
            foreach (PathofedProcess site in sites[..2]) Assert.True(await site.WaitAsync(TimeSpan.FromMinutes(3)) == 0, Explain(site, coordinator));
            Assert.True(await coordinator.WaitAsync(TimeSpan.FromMinutes(1)) == 0, coordinator.Error);
        }
        finally
        {
            foreach (PathofedProcess site in sites) site.Dispose();
        }

        // The round the site was killed in (its first, or its second when it joined after round 1 opened) and every later
        // one close at the deadline without it.
        int killedIn = int.Parse(System.Text.RegularExpressions.Regex.Match(ReadShared(federation.SiteAudit("hospital-c")), "\"event\":\"model_received\",\"data\":\\{\"round\":(\\d+)").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        for (int round = killedIn; round <= 3; round++)
        {
            Assert.True(coordinator.Output.Contains($"round {round}/3: 2 of 3 sites (hospital-c: no valid update by the deadline", StringComparison.Ordinal), coordinator.Output);
        }
    }

    private static async Task<PathofedProcess> KillAfterRoundThenRestartAsync(PathofedProcess coordinator, Federation federation)
    {
        using (coordinator)
        {
            await WaitForCheckpointAsync(federation, 2, TimeSpan.FromMinutes(2));
        } // disposing kills it (SIGKILL) in the middle of round 3
        return federation.StartCoordinator();
    }

    private static async Task WaitForFileTextAsync(string path, string text, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!(File.Exists(path) && ReadShared(path).Contains(text, StringComparison.Ordinal)))
        {
            Assert.True(clock.Elapsed < timeout, $"'{text}' never appeared in {path}");
            await Task.Delay(10);
        }
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>Waits until the coordinator has checkpointed <paramref name="round"/> (its folder appears when the round is saved).</summary>
    private static async Task WaitForCheckpointAsync(Federation federation, int round, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string folder = federation.Checkpoint(round);
        while (!Directory.Exists(folder))
        {
            Assert.True(clock.Elapsed < timeout, $"round {round} was never checkpointed in {folder}");
            await Task.Delay(10);
        }
    }

    private static string Explain(PathofedProcess site, PathofedProcess coordinator) =>
        $"site:\n{site.Output}\n{site.Error}\ncoordinator:\n{coordinator.Output}\n{coordinator.Error}";

    /// <summary>
    /// The production loopback federation's files (CA, certificates, allow-list, plan) over a planted cohort dealt to the
    /// sites by patient, with the processes started one by one so a test can kill and restart them.
    /// </summary>
    private sealed class Federation(LoopbackFederationFolder folder, IReadOnlyList<LoopbackSite> sites, int port)
    {
        public static async Task<Federation> CreateAsync(TempFolder temp, int rounds, int minSites, int deadlineSeconds, int localEpochs = 2)
        {
            IReadOnlyList<LoopbackSite> sites = await PlantedFederation.WriteSitesAsync(temp.Path);
            var folder = new LoopbackFederationFolder(temp.Path);
            folder.Prepare(PlantedFederation.Plan(rounds, minSites, deadlineSeconds, localEpochs), PlantedFederation.Sites);
            return new Federation(folder, sites, LoopbackFederation.FreeLoopbackPort());
        }

        public string CoordinatorAudit => Path.Combine(folder.CoordinatorState, CoordinatorEngine.AuditFileName);

        public string FinalModel => folder.FinalModel;

        public string SiteAudit(string site) => Path.Combine(folder.SiteState(site), CoordinatorEngine.AuditFileName);

        public string Features(string site) => sites.Single(s => s.Name == site).FeaturesFolder;

        public string Checkpoint(int round) => Path.Combine(folder.CoordinatorState, CoordinatorEngine.CheckpointsFolderName, $"round-{round:D4}");

        public PathofedProcess StartCoordinator() => PathofedProcess.Start("fed", "serve", "--plan", folder.PlanPath, "--state", folder.CoordinatorState,
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--cert", folder.Certificate(LoopbackFederationFolder.CoordinatorName),
            "--ca", folder.CaCertificate, "--allow", folder.AllowListPath, "--linger", "5");

        public PathofedProcess StartSite(string site) => PathofedProcess.Start("fed", "join", "--coordinator", $"localhost:{port}",
            "--cert", folder.Certificate(site), "--ca", folder.CaCertificate,
            "--features", Features(site), "--labels", sites.Single(s => s.Name == site).LabelsCsv, "--state", folder.SiteState(site));
    }
}
