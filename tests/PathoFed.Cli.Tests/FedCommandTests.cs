using System.Text.Json.Nodes;
using PathoFed.Cli.Commands.Fed;
using PathoFed.Federation.Audit;

namespace PathoFed.Cli.Tests;

public sealed class FedCommandTests
{
    [Fact]
    public async Task CaInitThenIssue_WritesTheCaAndCertificatesAndRefusesASecondCa()
    {
        using var temp = new TempFolder();
        var (init, initOutput, initError) = await CliRunner.RunAsync("fed", "ca", "init", "--out", temp.File("ca"), "--name", "Test federation");
        var (again, _, againError) = await CliRunner.RunAsync("fed", "ca", "init", "--out", temp.File("ca"));
        var (site, siteOutput, siteError) = await CliRunner.RunAsync("fed", "ca", "issue", "--ca", temp.File("ca"), "--site", "hospital-a", "--out", temp.File("certs"));
        var (coordinator, _, coordinatorError) = await CliRunner.RunAsync("fed", "ca", "issue", "--ca", temp.File("ca"), "--site", "fed.example.org", "--coordinator", "--out", temp.File("certs"));
        var (bad, _, badError) = await CliRunner.RunAsync("fed", "ca", "issue", "--ca", temp.File("ca"), "--site", "Hospital A", "--out", temp.File("certs"));

        Assert.True(init == ExitCodes.Ok, initError);
        Assert.Contains("CA created", initOutput);
        Assert.Equal(ExitCodes.Usage, again);
        Assert.Contains("ca", againError);
        Assert.True(site == ExitCodes.Ok, siteError);
        Assert.Contains("site certificate", siteOutput);
        Assert.True(File.Exists(temp.File("certs/hospital-a.pfx")));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(temp.File("certs/hospital-a.pfx")));
        Assert.True(coordinator == ExitCodes.Ok, coordinatorError);
        Assert.Equal(ExitCodes.Usage, bad);
        Assert.Contains("Hospital A", badError);
    }

    [Fact]
    public async Task AuditVerify_IntactThenEditedLog_ExitsZeroThenTampered()
    {
        using var temp = new TempFolder();
        string path = temp.File("audit.log");
        using (AuditLog log = AuditLog.Open(path, "coordinator"))
        {
            for (int round = 1; round <= 3; round++) log.Append("aggregated", new JsonObject { ["round"] = round });
        }
        var (ok, okOutput, _) = await CliRunner.RunAsync("fed", "audit", "verify", path);
        string[] lines = File.ReadAllLines(path);
        lines[1] = lines[1].Replace("\"round\":2", "\"round\":7", StringComparison.Ordinal);
        File.WriteAllLines(path, lines);
        var (tampered, _, tamperedError) = await CliRunner.RunAsync("fed", "audit", "verify", path);

        Assert.Equal(ExitCodes.Ok, ok);
        Assert.Contains("OK: 3 entries", okOutput);
        Assert.Equal(FedAuditCommand.Tampered, tampered);
        Assert.Contains("line 2", tamperedError);
    }
}
