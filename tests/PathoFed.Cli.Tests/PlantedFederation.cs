using System.Globalization;
using PathoFed.Cli.Loopback;
using PathoFed.Federation.Plans;
using PathoFed.Mil.Data;
using PathoFed.Mil.Evaluation;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Tests;
using PathoFed.Mil.Tests.Data;
using PathoFed.Mil.Tests.Experiments;

namespace PathoFed.Cli.Tests;

/// <summary>A planted-witness cohort of 60 slides dealt to three hospitals by patient, and a small ABMIL plan to train it federatedly.</summary>
internal static class PlantedFederation
{
    public static readonly string[] Sites = ["hospital-a", "hospital-b", "hospital-c"];

    /// <summary>Writes each site's features folder and labels.csv under <c>ROOT/SITE/</c> (20 slides each).</summary>
    public static async Task<IReadOnlyList<LoopbackSite>> WriteSitesAsync(string root)
    {
        List<MilTestData.PlantedBag> bags = MilTestData.WitnessClassification(60, 16, 0.15, seed: 21);
        var sites = new List<LoopbackSite>();
        for (int s = 0; s < Sites.Length; s++)
        {
            PlantedCohort.Files files = await PlantedCohort.WriteAsync(Path.Combine(root, Sites[s]), bags.Where((_, i) => i % Sites.Length == s).ToList(), MilTask.Classify);
            sites.Add(new LoopbackSite(Sites[s], files.FeaturesDir, files.LabelsCsv));
        }
        return sites;
    }

    /// <summary>Another 30 slides from the same planted distribution (another seed), for judging the federated model.</summary>
    public static Task<PlantedCohort.Files> WriteUnseenCohortAsync(string root) =>
        PlantedCohort.WriteAsync(root, MilTestData.WitnessClassification(30, 16, 0.15, seed: 97), MilTask.Classify);

    /// <summary>The ROC AUC of <c>p_MSI</c> in a <c>pathofed score</c> CSV against the cohort's planted labels (MSI: the bags with witnesses).</summary>
    public static double Auc(string scoresCsv, PlantedCohort.Files cohort)
    {
        string[] header = File.ReadAllLines(scoresCsv)[0].Split(',');
        int slide = Array.IndexOf(header, "slide_id"), msi = Array.IndexOf(header, "p_MSI");
        var positive = cohort.Bags.ToDictionary(b => b.Example.SlideId, b => b.Example.Target.ClassIndex == 1);
        var rows = File.ReadAllLines(scoresCsv).Skip(1).Where(line => line.Length > 0).Select(line => line.Split(',')).ToList();
        double[] scores = [.. rows.Select(r => double.Parse(r[msi], CultureInfo.InvariantCulture))];
        bool[] truth = [.. rows.Select(r => positive[r[slide]])];
        return ClassificationMetrics.RocAuc(scores, truth);
    }

    public static FederationPlan Plan(int rounds, int minSites, double deadlineSeconds, int localEpochs = 2) => new()
    {
        Name = "loopback-test",
        Head = MilHeadKind.Abmil,
        Task = MilTask.Classify,
        Classes = ["MSI", "MSS"],
        ExtractorId = FeatureFolders.ExtractorId,
        ExtractorSha256 = FeatureFolders.ExtractorSha256,
        EmbeddingDim = 16,
        EncoderDim = 16,
        AttentionDim = 8,
        Rounds = rounds,
        LocalEpochs = localEpochs,
        LearningRate = 0.003f,
        MinSites = minSites,
        RoundDeadlineSeconds = deadlineSeconds,
    };
}
