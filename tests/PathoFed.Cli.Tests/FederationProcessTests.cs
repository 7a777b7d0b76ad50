using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using PathoFed.Federation.Audit;
using PathoFed.Mil.Data;
using PathoFed.Mil.Tests;
using PathoFed.Mil.Tests.Data;
using PathoFed.Mil.Tests.Experiments;

namespace PathoFed.Cli.Tests;

/// <summary>A coordinator and three sites as separate pathofed processes on loopback, with mutual TLS from the federation's own CA.</summary>
public sealed class FederationProcessTests
{
    private static readonly string[] Sites = ["hospital-a", "hospital-b", "hospital-c"];

    [Fact]
    public async Task ServeAndJoin_ThreeSiteProcesses_TrainTheRoundsAndLeaveVerifiableAuditLogs()
    {
        using var temp = new TempFolder();
        await CliRunner.RunAsync("fed", "ca", "init", "--out", temp.File("ca"));
        await CliRunner.RunAsync("fed", "ca", "issue", "--ca", temp.File("ca"), "--site", "fed-coordinator", "--coordinator", "--out", temp.File("certs"));
        foreach (string site in Sites) await CliRunner.RunAsync("fed", "ca", "issue", "--ca", temp.File("ca"), "--site", site, "--out", temp.File("certs"));
        File.WriteAllLines(temp.File("sites.txt"), Sites);

        // One planted cohort, dealt to the three sites by patient.
        List<MilTestData.PlantedBag> bags = MilTestData.WitnessClassification(60, 16, 0.15, seed: 21);
        for (int s = 0; s < Sites.Length; s++)
        {
            await PlantedCohort.WriteAsync(temp.File(Sites[s]), bags.Where((_, i) => i % Sites.Length == s).ToList(), MilTask.Classify);
        }
        File.WriteAllText(temp.File("plan.json"), JsonSerializer.Serialize(new
        {
            name = "loopback-test",
            head = "Abmil",
            task = "Classify",
            classes = new[] { "MSI", "MSS" },
            extractorId = FeatureFolders.ExtractorId,
            extractorSha256 = FeatureFolders.ExtractorSha256,
            embeddingDim = 16,
            encoderDim = 16,
            attentionDim = 8,
            rounds = 3,
            localEpochs = 2,
            learningRate = 0.003,
            minSites = 3,
            roundDeadlineSeconds = 120,
        }));
        int port = FreePort();

        using PathofedProcess coordinator = PathofedProcess.Start("fed", "serve", "--plan", temp.File("plan.json"), "--state", temp.File("state"),
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--cert", temp.File("certs/fed-coordinator.pfx"),
            "--ca", temp.File("ca/ca.pem"), "--allow", temp.File("sites.txt"), "--linger", "5");
        PathofedProcess[] sites = Sites.Select(site => PathofedProcess.Start("fed", "join", "--coordinator", $"localhost:{port}",
            "--cert", temp.File($"certs/{site}.pfx"), "--ca", temp.File("ca/ca.pem"),
            "--features", temp.File($"{site}/features"), "--labels", temp.File($"{site}/labels.csv"), "--state", temp.File($"{site}/state"))).ToArray();
        try
        {
            foreach (PathofedProcess site in sites) Assert.True(await site.WaitAsync(TimeSpan.FromMinutes(4)) == 0, $"{site.Output}\n{site.Error}\ncoordinator:\n{coordinator.Output}\n{coordinator.Error}");
            Assert.True(await coordinator.WaitAsync(TimeSpan.FromMinutes(1)) == 0, coordinator.Error);
        }
        finally
        {
            foreach (PathofedProcess site in sites) site.Dispose();
        }

        Assert.Contains("round 3/3: 3 of 3 sites", coordinator.Output);
        Assert.Contains("Finished after 3 rounds", sites[0].Output);
        Assert.True(File.Exists(temp.File("state/final-model/weights.safetensors")));
        Assert.True(AuditVerifier.Verify(temp.File("state/audit.log")).IsValid);
        foreach (string site in Sites)
        {
            AuditVerification verification = AuditVerifier.Verify(temp.File($"{site}/state/audit.log"));
            Assert.True(verification.IsValid, verification.Reason);
        }

        // The federated model scores like any trained model.
        var (score, scoreOutput, scoreError) = await CliRunner.RunAsync("score", "--model", temp.File("state/final-model"),
            "--features", temp.File("hospital-a/features"), "--out", temp.File("scores.csv"));
        Assert.True(score == ExitCodes.Ok, scoreError);
        Assert.Contains("20 slides scored", scoreOutput);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
