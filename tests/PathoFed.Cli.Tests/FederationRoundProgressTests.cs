using PathoFed.Cli.Loopback;
using PathoFed.Federation.Coordination;
using PathoFed.Federation.Plans;
using PathoFed.Federation.Privacy;
using PathoFed.Federation.Strategies;

namespace PathoFed.Cli.Tests;

/// <summary><c>fed serve</c>'s lines, as it writes them, read back by the loopback federation's progress parser.</summary>
public sealed class FederationRoundProgressTests
{
    private static RoundRecord Round(IReadOnlyList<FitFailure> failures, PrivacySpent? privacy, bool secure) => new(
        Round: 7, Attempts: 1, Sampled: ["hospital-a", "hospital-b", "hospital-c"], Contributors: ["hospital-a", "hospital-c"], Failures: failures,
        Metrics: new Dictionary<string, double> { ["auc"] = 0.91234, ["balanced_accuracy"] = 0.8, ["train_loss"] = 0.4567 },
        ModelSha256: "0123456789abcdef0123456789abcdef", Traffic: new Dictionary<string, SiteTraffic>(), Privacy: privacy, SecureAggregation: secure,
        ClosedAt: DateTimeOffset.UnixEpoch);

    [Fact]
    public void FormatRound_WithFailuresPrivacyAndSecureAggregation_ParsesBackToTheRound()
    {
        // A failure reason with the separators the line uses: it must not be read as metrics.
        FitFailure[] failures = [new("hospital-b", "no valid update by the deadline; refused: auc 0.5, norm 3")];
        string line = FederationRoundProgress.FormatRound(Round(failures, new PrivacySpent(1.234, 1e-5, 12, default), secure: true), rounds: 25);

        FederationRoundProgress? progress = FederationRoundProgress.Parse(line);

        Assert.NotNull(progress);
        Assert.Equal((7, 25, 2, 3), (progress.Round, progress.Rounds, progress.Contributors, progress.Sampled));
        Assert.Equal("hospital-b: no valid update by the deadline; refused: auc 0.5, norm 3", progress.Failures);
        Assert.Equal(new Dictionary<string, double> { ["auc"] = 0.912, ["balanced_accuracy"] = 0.8, ["train_loss"] = 0.457 }, progress.Metrics);
        Assert.Equal(0.457, progress.TrainLoss);
    }

    [Fact]
    public void FormatRound_Plain_ParsesBackWithoutFailures()
    {
        FederationRoundProgress? progress = FederationRoundProgress.Parse(FederationRoundProgress.FormatRound(Round([], privacy: null, secure: false), rounds: 7));

        Assert.NotNull(progress);
        Assert.Null(progress.Failures);
        Assert.Equal(0.912, progress.Metrics["auc"]);
    }

    [Fact]
    public void FormatStart_ParsesAsTheRoundResumedAfter()
    {
        var plan = new FederationPlan { Name = "t", Classes = ["MSS", "MSI"], ExtractorId = "x", ExtractorSha256 = "y", EmbeddingDim = 8, Rounds = 30, MinSites = 2 };

        FederationRoundProgress? progress = FederationRoundProgress.Parse(FederationRoundProgress.FormatStart("127.0.0.1", 7443, plan, lastFinishedRound: 12));

        Assert.NotNull(progress);
        Assert.Equal((12, 30, 0, 0), (progress.Round, progress.Rounds, progress.Contributors, progress.Sampled));
        Assert.Empty(progress.Metrics);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Site hospital-a joined")]
    [InlineData("round 3/3: 3 of 3 sites; auc 0.9")] // no model hash: not a finished-round line
    public void Parse_OtherLines_AreNotProgress(string line) => Assert.Null(FederationRoundProgress.Parse(line));
}
