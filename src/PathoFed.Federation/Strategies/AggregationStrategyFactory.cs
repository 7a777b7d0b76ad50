using System.Text.Json;

namespace PathoFed.Federation.Strategies;

/// <summary>
/// Builds a strategy from its name and JSON options (snake_case keys, e.g. <c>{"local_epochs": 2, "proximal_mu": 0.1}</c>);
/// unknown keys are refused so a typo does not silently fall back to a default.
/// </summary>
public static class AggregationStrategyFactory
{
    /// <summary>Name of <see cref="FedAvgStrategy"/>.</summary>
    public const string FedAvg = "fedavg";

    /// <summary>Name of <see cref="FedProxStrategy"/>.</summary>
    public const string FedProx = "fedprox";

    /// <summary>Name of <see cref="FedAdamStrategy"/>.</summary>
    public const string FedAdam = "fedadam";

    /// <summary>Name of <see cref="FedYogiStrategy"/>.</summary>
    public const string FedYogi = "fedyogi";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The known strategy names.</summary>
    public static IReadOnlyList<string> Names { get; } = [FedAvg, FedProx, FedAdam, FedYogi];

    /// <summary>Creates the strategy named <paramref name="name"/> (case-insensitive) with options from <paramref name="jsonOptions"/> (null or empty: defaults).</summary>
    /// <exception cref="FederationException">The name is unknown or the options do not parse or are out of range.</exception>
    public static IAggregationStrategy Create(string name, string? jsonOptions = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        try
        {
            return name.Trim().ToLowerInvariant() switch
            {
                FedAvg => new FedAvgStrategy(Parse<FedAvgOptions>(jsonOptions)),
                FedProx => new FedProxStrategy(Parse<FedProxOptions>(jsonOptions)),
                FedAdam => new FedAdamStrategy(Parse<AdaptiveOptions>(jsonOptions)),
                FedYogi => new FedYogiStrategy(Parse<AdaptiveOptions>(jsonOptions)),
                _ => throw new FederationException($"Unknown aggregation strategy '{name}'; known: {string.Join(", ", Names)}."),
            };
        }
        catch (Exception e) when (e is JsonException or ArgumentOutOfRangeException)
        {
            throw new FederationException($"Options of aggregation strategy '{name}' are invalid: {e.Message}", e);
        }
    }

    private static T Parse<T>(string? json)
        where T : new() =>
        string.IsNullOrWhiteSpace(json) ? new T() : JsonSerializer.Deserialize<T>(json, JsonOptions) ?? new T();
}
