using System.Text.Json;
using PathoFed.Federation.Plans;

namespace PathoFed.Federation.Coordination;

/// <summary>
/// The <see cref="SiteTask.Train.ConfigJson"/> of a round: how to train locally (from the strategy's
/// <c>ConfigureFit</c> and the plan) and, under secure aggregation, which session to mask for.
/// </summary>
/// <param name="Round">The round.</param>
/// <param name="LocalEpochs">Local epochs (the plan's: every site trains by the plan it received at join).</param>
/// <param name="LearningRate">Local learning rate (the plan's).</param>
/// <param name="ProximalMu">FedProx weight from the strategy; 0 for the others.</param>
/// <param name="BagsPerStep">Bags per optimiser step.</param>
/// <param name="SecureAggregation">The session to mask the update for; null for plain updates.</param>
/// <param name="DifferentialPrivacy">Clip and noise to apply before sending; null for none.</param>
public sealed record RoundInstructions(
    int Round,
    int LocalEpochs,
    double LearningRate,
    double ProximalMu,
    int BagsPerStep,
    SecureAggregationSession? SecureAggregation,
    DifferentialPrivacyPlan? DifferentialPrivacy)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The JSON carried by the Train task.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <exception cref="FederationException">The JSON is malformed.</exception>
    public static RoundInstructions Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<RoundInstructions>(json, Json) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new FederationException($"The round configuration from the coordinator cannot be read: {e.Message}", e);
        }
    }
}

/// <summary>A secure-aggregation session as announced to the sites: a fresh id per round attempt and the threshold t.</summary>
public sealed record SecureAggregationSession(string SessionId, int Threshold);
