using System.Globalization;
using System.Text.RegularExpressions;
using PathoFed.Federation.Audit;
using Xunit.Abstractions;

namespace PathoFed.Cli.Tests;

/// <summary><c>pathofed demo</c> at its default size, as the README's main command runs it, and resumed.</summary>
[Collection(FederationProcessesCollection.Name)]
public sealed partial class DemoCommandTests(ITestOutputHelper log)
{
    private static readonly string[] Hospitals = ["hospital-a", "hospital-b", "hospital-c"];

    [Fact]
    public async Task Demo_Default_TrainsFederatedlyAndScoresTheHeldOutSlides_ThenResumesWithoutRedoingAnything()
    {
        using var temp = new TempFolder();
        string root = temp.File("demo");

        var (code, output, error) = await CliRunner.RunAsync("demo", "--out", root);
        log.WriteLine(output);

        Assert.True(code == ExitCodes.Ok, output + error);
        foreach (string step in new[] { "[1/4]", "[2/4]", "[3/4]", "[4/4]" }) Assert.Contains(step, output);
        Assert.Contains("round 25/25: 3 of 3 sites", output);

        // The planted morphology is learnt: held-out slides ranked and heatmaps on the foci.
        Assert.True(Metric(HeldOutAuc(), output) >= 0.9, output);
        Assert.True(Metric(FociAuc(), output) >= 0.8, output);
        List<string[]> scores = Csv.Parse(File.ReadAllText(Path.Combine(root, "results", "scores.csv")));
        Assert.Equal(6, scores.Count - 1);
        Assert.All(scores.Skip(1), row => Assert.Equal("ok", row[3]));
        Assert.Contains("ROC AUC", File.ReadAllText(Path.Combine(root, "results", "report.html")));

        // Each hospital embedded its own slides only, and every party's audit trail is intact.
        foreach (string hospital in Hospitals)
        {
            string[] embedded = [.. Directory.GetDirectories(Path.Combine(root, "sites", hospital, "features")).Select(Path.GetFileName)!];
            Assert.Equal(10, embedded.Length);
            Assert.All(embedded, id => Assert.StartsWith(hospital, id));
        }
        string[] audits = Directory.GetFiles(Path.Combine(root, "federation"), "audit.log", SearchOption.AllDirectories);
        Assert.Equal(4, audits.Length); // the coordinator's and each site's
        foreach (string audit in audits)
        {
            AuditVerification verification = AuditVerifier.Verify(audit);
            Assert.True(verification.IsValid, $"{audit}: {verification.Reason}");
        }

        var (again, resumed, againError) = await CliRunner.RunAsync("demo", "--out", root);

        Assert.True(again == ExitCodes.Ok, resumed + againError);
        Assert.Equal(36, CountOf("(already there)", resumed));
        Assert.Equal(3, CountOf("0 embedded, 10 already done", resumed));
        Assert.Contains("Already trained", resumed);
        Assert.Contains("0 scored, 6 already done, 0 failed", resumed);
        Assert.Equal(Metric(HeldOutAuc(), output), Metric(HeldOutAuc(), resumed));
    }

    [Theory]
    [InlineData("--slides-per-site", "3")]
    [InlineData("--held-out", "1")]
    [InlineData("--slide-size", "100")]
    public async Task Demo_TooSmall_ExitsTwoNamingTheOption(string option, string value)
    {
        using var temp = new TempFolder();

        var (code, _, error) = await CliRunner.RunAsync("demo", "--out", temp.File("demo"), option, value);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(option, error);
        Assert.False(Directory.Exists(temp.File("demo")));
    }

    private static double Metric(Regex pattern, string output) =>
        double.Parse(pattern.Match(output) is { Success: true } match ? match.Groups[1].Value : "NaN", CultureInfo.InvariantCulture);

    private static int CountOf(string text, string output) => Regex.Matches(output, Regex.Escape(text)).Count;

    [GeneratedRegex(@"Held-out slides: AUC ([0-9.]+)")]
    private static partial Regex HeldOutAuc();

    [GeneratedRegex(@"planted tumour foci: patch attention AUC ([0-9.]+)")]
    private static partial Regex FociAuc();
}
