using System.Text.Json;
using System.Text.Json.Serialization;
using PathoFed.Mil.Data;
using PathoFed.Mil.Heads;

namespace PathoFed.Federation.Plans;

/// <summary>Site-side differential privacy: clip each update to <see cref="ClipNorm"/> and add Gaussian noise of <see cref="NoiseMultiplier"/> x that norm.</summary>
public sealed record DifferentialPrivacyPlan
{
    public double ClipNorm { get; init; } = 1.0;

    public double NoiseMultiplier { get; init; } = 1.0;

    public double Delta { get; init; } = 1e-5;
}

/// <summary>
/// What a federation trains and how (<c>plan.json</c>, read by <c>pathofed fed serve</c>): the MIL head and task, the
/// aggregation strategy, rounds, local work per round, quorum and deadline, and the privacy options. Sites receive
/// it when they join, so every site trains the same head the same way.
/// </summary>
public sealed record FederationPlan
{
    public string Name { get; init; } = "pathofed-federation";

    [JsonConverter(typeof(JsonStringEnumConverter<MilHeadKind>))]
    public MilHeadKind Head { get; init; } = MilHeadKind.Abmil;

    [JsonConverter(typeof(JsonStringEnumConverter<MilTask>))]
    public MilTask Task { get; init; } = MilTask.Classify;

    /// <summary>Class names in index order; sites map their labels onto them (classification only).</summary>
    public IReadOnlyList<string> Classes { get; init; } = [];

    /// <summary>The extractor every site's features must come from, and its width (the head's input).</summary>
    public required string ExtractorId { get; init; }

    public required string ExtractorSha256 { get; init; }

    public required int EmbeddingDim { get; init; }

    public int EncoderDim { get; init; } = 128;

    public int AttentionDim { get; init; } = 64;

    public float Dropout { get; init; } = 0.1f;

    /// <summary>fedavg, fedprox, fedadam or fedyogi.</summary>
    public string Strategy { get; init; } = "fedavg";

    /// <summary>Strategy options (server learning rate, betas, proximal mu...), passed as they are.</summary>
    /// <remarks>Left out of the JSON when absent: an undefined element cannot be written (the plan travels to every site).</remarks>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public JsonElement StrategyOptions { get; init; }

    public int Rounds { get; init; } = 20;

    public int LocalEpochs { get; init; } = 1;

    public int BagsPerStep { get; init; } = 8;

    public float LearningRate { get; init; } = 1e-3f;

    public float WeightDecay { get; init; } = 1e-4f;

    /// <summary>Updates needed to close a round; below it the round waits until the deadline, then fails and is retried.</summary>
    public int MinSites { get; init; } = 2;

    public double RoundDeadlineSeconds { get; init; } = 600;

    /// <summary>Largest L2 norm of (update − global) accepted from a site.</summary>
    public double MaxUpdateNorm { get; init; } = 100;

    /// <summary>Pairwise-masked aggregation: the coordinator learns only the sum of the sites' updates.</summary>
    public bool SecureAggregation { get; init; }

    public DifferentialPrivacyPlan? DifferentialPrivacy { get; init; }

    /// <summary>Share of each site's patients held out for its local validation metrics.</summary>
    public double LocalValidationFraction { get; init; } = 0.2;

    /// <summary>
    /// Classification: each site weighs its cross-entropy by the inverse frequency of each class in its own training
    /// examples (<see cref="Sites.SiteTrainer.BalancedClassWeights"/>), so a label-skewed site's local optimum is a balanced
    /// classifier instead of "always my majority class", the drift that label skew otherwise puts into the average.
    /// </summary>
    public bool BalanceLocalClasses { get; init; } = true;

    /// <summary>
    /// Each site keeps its AdamW moments from one round to the next (they never leave the site), instead of a fresh AdamW
    /// per round whose first steps move every coordinate by ±learning rate however small or noisy its gradient.
    /// </summary>
    public bool KeepLocalOptimizerState { get; init; } = true;

    public int Seed { get; init; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, AllowTrailingCommas = true, ReadCommentHandling = JsonCommentHandling.Skip };

    /// <summary>The head every site trains (random initial weights come from the coordinator).</summary>
    public MilHeadConfig HeadConfig() => new()
    {
        Kind = Head,
        Task = Task,
        InputDim = EmbeddingDim,
        ClassCount = Task == MilTask.Classify ? Classes.Count : 2,
        EncoderDim = EncoderDim,
        AttentionDim = AttentionDim,
        Dropout = Dropout,
    };

    /// <exception cref="FederationException">The file is missing, not JSON, or has a value out of range (named).</exception>
    public static FederationPlan Read(string path)
    {
        FederationPlan? plan;
        try
        {
            plan = JsonSerializer.Deserialize<FederationPlan>(File.ReadAllText(path), Json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new FederationException($"Plan '{path}' cannot be read: {e.Message}", e);
        }
        return (plan ?? throw new FederationException($"Plan '{path}' is empty.")).Validate(path);
    }

    public FederationPlan Validate(string source = "plan")
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new FederationException($"{source}: {what}");
        }
        Require(Task == MilTask.Survival || Classes.Count >= 2, "'classes' must name at least 2 classes for classification.");
        Require(Task == MilTask.Classify || Classes.Count == 0, "'classes' must be empty for survival.");
        Require(!string.IsNullOrWhiteSpace(ExtractorId) && !string.IsNullOrWhiteSpace(ExtractorSha256), "'extractorId' and 'extractorSha256' are required.");
        Require(EmbeddingDim >= 1, $"'embeddingDim' must be positive, not {EmbeddingDim}.");
        Require(Rounds is >= 1 and <= 100_000, $"'rounds' must be 1-100000, not {Rounds}.");
        Require(LocalEpochs is >= 1 and <= 1000, $"'localEpochs' must be 1-1000, not {LocalEpochs}.");
        Require(MinSites >= 1, $"'minSites' must be at least 1, not {MinSites}.");
        Require(RoundDeadlineSeconds > 0, $"'roundDeadlineSeconds' must be positive, not {RoundDeadlineSeconds}.");
        Require(MaxUpdateNorm > 0, $"'maxUpdateNorm' must be positive, not {MaxUpdateNorm}.");
        Require(LocalValidationFraction is > 0 and < 1, $"'localValidationFraction' must lie between 0 and 1, not {LocalValidationFraction}.");
        Require(DifferentialPrivacy is null || (DifferentialPrivacy.ClipNorm > 0 && DifferentialPrivacy.NoiseMultiplier >= 0 && DifferentialPrivacy.Delta is > 0 and < 1),
            "'differentialPrivacy' needs clipNorm > 0, noiseMultiplier >= 0 and 0 < delta < 1.");
        HeadConfig().Validate();
        return this;
    }
}
