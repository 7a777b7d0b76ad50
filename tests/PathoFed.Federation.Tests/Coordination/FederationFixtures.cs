using PathoFed.Federation.Audit;
using PathoFed.Federation.Coordination;
using PathoFed.Federation.Plans;
using PathoFed.Federation.Security;
using PathoFed.Federation.Strategies;
using PathoFed.Mil.Data;
using PathoFed.Mil.Heads;
using PathoFed.Mil.Tests;

namespace PathoFed.Federation.Tests.Coordination;

/// <summary>Planted-witness sites, plans and engines for the coordination tests: small bags, a small ABMIL head.</summary>
internal static class FederationFixtures
{
    public const int Dim = 16;
    public const string ExtractorId = "test-extractor";
    public const string ExtractorSha256 = "0123456789abcdef";

    public static readonly FeatureOrigin Origin = new(ExtractorId, ExtractorSha256, Dim);

    public static MilDataset Dataset(IReadOnlyList<MilExample> examples) =>
        new(MilTask.Classify, examples, ["MSS", "MSI"], Origin, []);

    /// <summary><paramref name="bags"/> planted bags whose patient and slide ids carry <paramref name="prefix"/>, so sites never share a patient.</summary>
    public static MilDataset Site(string prefix, int bags, int seed)
    {
        var examples = MilTestData.WitnessClassification(bags, Dim, witnessFraction: 0.15, seed: seed)
            .Select(b => b.Example with { Bag = b.Example.Bag with { SlideId = $"{prefix}-{b.Example.SlideId}" }, PatientId = $"{prefix}-{b.Example.PatientId}" })
            .ToList();
        return Dataset(examples);
    }

    public static FederationPlan Plan(int rounds = 2, int minSites = 2, bool secure = false, double deadlineSeconds = 600, int bagsPerStep = 8,
        float dropout = 0f, int seed = 7) => new FederationPlan
        {
            Name = "test-federation",
            Head = MilHeadKind.Abmil,
            Task = MilTask.Classify,
            Classes = ["MSS", "MSI"],
            ExtractorId = ExtractorId,
            ExtractorSha256 = ExtractorSha256,
            EmbeddingDim = Dim,
            EncoderDim = 16,
            AttentionDim = 8,
            Dropout = dropout,
            Rounds = rounds,
            LocalEpochs = 1,
            BagsPerStep = bagsPerStep,
            LearningRate = 2e-3f,
            MinSites = minSites,
            RoundDeadlineSeconds = deadlineSeconds,
            SecureAggregation = secure,
            Seed = seed,
        }.Validate();

    public static SiteHello Hello => new("test", ExtractorId, ExtractorSha256, Dim);

    public static CoordinatorEngine Engine(FederationPlan plan, string stateFolder, IEnumerable<string> sites, TimeProvider? time = null) =>
        new(plan, stateFolder, AllowList.FromNames(sites, "test allow-list"), AggregationStrategyFactory.Create(plan.Strategy), time);

    public static AuditLog SiteLog(string folder, string site) => AuditLog.Open(Path.Combine(folder, "sites", site, "audit.log"), site);
}

/// <summary>A clock the test moves by hand; timers still run on real time (the engine only reads the clock).</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
